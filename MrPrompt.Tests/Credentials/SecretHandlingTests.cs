using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Gateway;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Credentials;

/// <summary>Provider keys never appear in logs, at any level, whether calls succeed or fail.</summary>
public sealed class SecretHandlingTests(PostgresServer server) : IAsyncLifetime
{
    private const string UserKey = "sk-user-secret-never-logged-4321";
    private const string RejectedKey = "sk-rejected-secret-never-logged-8765";
    private readonly CapturingLoggerProvider _logs = new();
    private FakeProviderServer _upstream = null!;
    private ServiceProvider _services = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await FakeProviderServer.StartAsync();
        _upstream.AcceptedKeys.Add(UserKey);
        _services = TestDatabase.BuildServices(await server.CreateDatabaseAsync("secrets"), TimeProvider.System,
            new Dictionary<string, string?>
            {
                ["Providers:openai:BaseUrl"] = _upstream.OpenAIBaseUrl,
                ["Providers:openai:ApiKey"] = FakeProviderServer.ValidKey,
                // A model only these tests call, so their spans are told from those of tests running beside them.
                ["Providers:openai:Models:0"] = "gpt-4o-secrets",
                ["Gateway:MaxAttempts"] = "1",
                ["Gateway:AllowedPrivateHosts"] = _upstream.Authority,
            },
            services => services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs)));
        await _services.GetRequiredService<DatabaseStartup>().RunAsync();
    }

    [Fact]
    public async Task Provider_error_text_stays_out_of_telemetry_spans()
    {
        var ct = TestContext.Current.CancellationToken;
        var spans = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == MrPrompt.Infrastructure.Gateway.ChatGatewayPipeline.TelemetrySourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var userId = await TestUsers.RegisterAsync(_services);
        _upstream.AcceptedKeys.Clear(); // every key is refused: the recorded 401 quotes part of the key

        var (_, last) = await _services.GetRequiredService<IChatGateway>().StreamAsync(userId.Ask("openai/gpt-4o-secrets"), ct).CollectAsync();

        Assert.IsType<GatewayFailed>(last);
        var span = Assert.Single(spans, s => s.Status == System.Diagnostics.ActivityStatusCode.Error && s.DisplayName == "chat gpt-4o-secrets");
        Assert.DoesNotContain("Incorrect API key", span.StatusDescription ?? "");
        Assert.DoesNotContain(span.TagObjects, tag => tag.Value?.ToString()?.Contains("Incorrect API key", StringComparison.Ordinal) == true);
        Assert.Equal("OpenAI rejected the API key. Check or replace it in Settings → Provider keys.", span.StatusDescription);
    }

    [Fact]
    public async Task Keys_stay_out_of_every_log_entry()
    {
        var ct = TestContext.Current.CancellationToken;
        var userId = await TestUsers.RegisterAsync(_services);
        var credentials = _services.GetRequiredService<CredentialService>();
        var gateway = _services.GetRequiredService<IChatGateway>();

        await credentials.AddAsync(userId, new NewCredential(ProviderPreset.CustomId, "Rejected", RejectedKey, _upstream.OpenAIBaseUrl), ct);
        await credentials.AddAsync(userId, new NewCredential(ProviderPreset.CustomId, "Mine", UserKey, _upstream.OpenAIBaseUrl), ct);
        await gateway.StreamAsync(userId.Ask("mine/gpt-4o-mini"), ct).CollectAsync();
        _upstream.Enqueue(Fault.Status(401));
        await gateway.StreamAsync(userId.Ask("mine/gpt-4o"), ct).CollectAsync();
        await gateway.StreamAsync(userId.Ask("openai/gpt-4o-secrets"), ct).CollectAsync();

        // The failing paths did log (so this looks at real entries), just not the keys.
        Assert.Contains(_logs.Entries, entry => entry.Contains("Key check with", StringComparison.Ordinal));
        Assert.Contains(_logs.Entries, entry => entry.Contains("invalid_key", StringComparison.Ordinal));
        foreach (var secret in new[] { UserKey, RejectedKey, FakeProviderServer.ValidKey })
        {
            Assert.DoesNotContain(_logs.Entries, entry => entry.Contains(secret, StringComparison.Ordinal));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
