using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Benchmarks;

/// <summary>The app's infrastructure services on a database, migrated, as the app itself starts them.</summary>
internal static class BenchServices
{
    public static async Task<ServiceProvider> StartAsync(string connectionString, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Default"] = connectionString })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddInfrastructure(configuration);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<DatabaseStartup>().RunAsync();
        return provider;
    }
}
