using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Tests.Support;

/// <summary>
/// The app's real gateway services on a database of their own, with system providers pointing at a
/// <see cref="FakeProviderServer"/>, fast retries, and the usage writer running.
/// </summary>
public class GatewayFixture(PostgresServer server) : IAsyncLifetime
{
    private ServiceProvider? _services;

    public FakeProviderServer Upstream { get; private set; } = null!;
    public Guid UserId { get; private set; }
    public IServiceProvider Services => _services!;
    public IChatGateway Gateway => Services.GetRequiredService<IChatGateway>();

    /// <summary>The services' clock: the real one, unless a fixture moves time itself.</summary>
    protected virtual TimeProvider Clock => TimeProvider.System;

    /// <summary>Extra settings a test class needs (for example a tighter circuit breaker).</summary>
    public Dictionary<string, string?> Overrides { get; } = [];

    /// <summary>Every log entry of the services, for checks that something was (or was not) logged.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    public virtual async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        var connectionString = await server.CreateDatabaseAsync("gateway");
        _services = TestDatabase.BuildServices(connectionString, Clock, Settings(),
            services => services.AddLogging(logging => logging.AddProvider(Logs)));
        await _services.GetRequiredService<DatabaseStartup>().RunAsync();
        await _services.GetRequiredService<UsageLogWriter>().StartAsync(CancellationToken.None);
        UserId = await TestUsers.RegisterAsync(_services, "caller@example.com");
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Providers:openai:Kind"] = "OpenAI",
            ["Providers:openai:BaseUrl"] = Upstream.OpenAIBaseUrl,
            ["Providers:openai:ApiKey"] = FakeProviderServer.ValidKey,
            ["Providers:openai:Models:0:Id"] = "gpt-4o-mini",
            ["Providers:openai:Models:0:InputPrice"] = "0.15",
            ["Providers:openai:Models:0:OutputPrice"] = "0.60",
            ["Providers:openai:Models:0:Fallbacks:0"] = "anthropic/claude-3-opus-latest",
            ["Providers:openai:Models:1"] = "gpt-4o",
            ["Providers:anthropic:Kind"] = "Anthropic",
            ["Providers:anthropic:BaseUrl"] = Upstream.BaseUrl,
            ["Providers:anthropic:ApiKey"] = FakeProviderServer.ValidKey,
            ["Providers:anthropic:Models:0"] = "claude-3-opus-latest",
            ["Providers:broken:Kind"] = "OpenAICompatible",
            ["Providers:broken:BaseUrl"] = Upstream.OpenAIBaseUrl,
            ["Providers:broken:ApiKey"] = "sk-revoked-key-000000000000",
            ["Providers:broken:Models:0"] = "gpt-4o-mini",
            ["Providers:private:Kind"] = "OpenAI",
            ["Providers:private:BaseUrl"] = Upstream.OpenAIBaseUrl,
            ["Providers:private:ApiKey"] = FakeProviderServer.ValidKey,
            ["Providers:private:SharedWithUsers"] = "false",
            ["Gateway:AllowedPrivateHosts"] = Upstream.Authority, // personal keys in the tests point at the fake upstream
            ["Gateway:RetryBaseDelayMilliseconds"] = "20",
            ["Gateway:FirstTokenTimeoutSeconds"] = "1",
            ["Gateway:CircuitFailureThreshold"] = "1000",
            ["Gateway:EchoWordDelayMilliseconds"] = "0",
            // Tests not about limits make many calls as one user, many at once; LimitTests sets its own.
            ["Limits:RequestsPerMinute"] = "100000",
            ["Limits:MaxOpenCallsPerUser"] = "1000",
        };
        Configure(settings);
        foreach (var (key, value) in Overrides)
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>Settings a derived fixture adds or changes before the services are built.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    /// <summary>Usage rows of a trace, once at least <paramref name="expected"/> have been written.</summary>
    public Task<List<UsageRecord>> UsageRowsAsync(string traceId, int expected) => UsageRows.WaitForAsync(Services, traceId, expected);

    public virtual async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.GetRequiredService<UsageLogWriter>().StopAsync(CancellationToken.None);
            await _services.DisposeAsync();
        }
        await Upstream.DisposeAsync();
    }
}
