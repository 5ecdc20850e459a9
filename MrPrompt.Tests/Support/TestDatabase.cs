using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Infrastructure;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Tests.Support;

/// <summary>
/// A migrated database of its own for one test class, with the app's real service registrations
/// (so Identity options match the migrations) and a clock the tests control.
/// </summary>
public sealed class TestDatabase(PostgresServer server) : IAsyncLifetime
{
    private ServiceProvider? _services;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 15, 9, 30, 0, TimeSpan.Zero));

    public string ConnectionString { get; private set; } = "";

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync(GetType().Name);
        _services = BuildServices(ConnectionString, Clock);
        await _services.GetRequiredService<DatabaseStartup>().RunAsync();
    }

    public static ServiceProvider BuildServices(string connectionString, TimeProvider clock, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Default"] = connectionString })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(clock)
            .AddSingleton<IConfiguration>(configuration);
        services.AddInfrastructure(configuration);
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    public async Task<AppDbContext> CreateContextAsync() =>
        await Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();

    /// <summary>A scope for scoped services such as Identity's managers.</summary>
    public AsyncServiceScope CreateScope() => Services.CreateAsyncScope();

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }
}
