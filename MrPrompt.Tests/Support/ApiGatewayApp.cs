using System.ClientModel;
using System.ClientModel.Primitives;
using MrPrompt.Domain.Usage;
using OpenAI;

namespace MrPrompt.Tests.Support;

/// <summary>
/// The real app in-process with a system OpenAI provider pointing at a <see cref="FakeProviderServer"/>,
/// for tests of the HTTP API that need upstream calls they can count.
/// </summary>
public class ApiGatewayApp(PostgresServer server) : MrPromptApp(server)
{
    public const string PricedModel = "openai/gpt-4o-mini";

    public FakeProviderServer Upstream { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Providers:openai:Kind"] = "OpenAI";
        settings["Providers:openai:BaseUrl"] = Upstream.OpenAIBaseUrl;
        settings["Providers:openai:ApiKey"] = FakeProviderServer.ValidKey;
        settings["Providers:openai:Models:0:Id"] = "gpt-4o-mini";
        settings["Providers:openai:Models:0:InputPrice"] = "0.15";
        settings["Providers:openai:Models:0:OutputPrice"] = "0.60";
        settings["Gateway:RetryBaseDelayMilliseconds"] = "10";
        settings["Gateway:EchoWordDelayMilliseconds"] = "0";
        settings["Api:KeepAliveSeconds"] = "1";
        // Tests of other limits send many requests at once as one user.
        settings["Limits:MaxOpenCallsPerUser"] = "1000";
    }

    /// <summary>The official OpenAI SDK, pointed at this app's /v1 with <paramref name="key"/>.</summary>
    public OpenAIClient Sdk(string key) => new(new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(CreateClient().BaseAddress!, "/v1"),
        Transport = new HttpClientPipelineTransport(CreateClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // tests count calls; the SDK must not repeat them
    });

    /// <summary>Usage rows of a trace, once at least <paramref name="expected"/> have been written.</summary>
    public Task<List<UsageRecord>> UsageRowsAsync(string traceId, int expected) => UsageRows.WaitForAsync(Services, traceId, expected);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
