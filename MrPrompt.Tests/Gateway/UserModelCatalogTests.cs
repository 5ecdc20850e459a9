using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Gateway;

public sealed class UserModelCatalogTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public UserModelCatalogTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        _fixture.Upstream.Reset();
    }

    [Fact]
    public async Task Lists_configured_models_listed_models_of_own_endpoints_and_echo_last()
    {
        var ct = TestContext.Current.CancellationToken;
        var userId = await TestUsers.RegisterAsync(_fixture.Services);
        await _fixture.Services.GetRequiredService<CredentialService>()
            .AddAsync(userId, new NewCredential(ProviderPreset.CustomId, "Lab", FakeProviderServer.ValidKey, _fixture.Upstream.OpenAIBaseUrl), ct);
        var catalog = _fixture.Services.GetRequiredService<UserModelCatalog>();

        var first = await catalog.ListAsync(userId, ct);
        var modelCalls = _fixture.Upstream.Requests.Count(r => r.Path == "/v1/models");
        var second = await catalog.ListAsync(userId, ct);

        var names = first.Select(c => c.Ref.ToString()).ToList();
        Assert.Contains("lab/gpt-4o-mini", names);   // from the endpoint's models list
        Assert.Contains("lab/gpt-4o", names);
        Assert.Contains("openai/gpt-4o-mini", names); // configured
        Assert.DoesNotContain(names, n => n.StartsWith("private/", StringComparison.Ordinal)); // not shared, no own key
        Assert.Equal("Echo (offline demo)", first[^1].Label);
        Assert.Equal(names, second.Select(c => c.Ref.ToString()));
        Assert.Equal(modelCalls, _fixture.Upstream.Requests.Count(r => r.Path == "/v1/models")); // cached
    }

    [Fact]
    public async Task A_provider_without_a_models_list_is_asked_at_start_and_a_warning_names_the_setting_when_it_cannot_answer()
    {
        var catalog = new ProviderCatalog(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Providers:lab:Kind"] = "OpenAICompatible",
                ["Providers:lab:BaseUrl"] = _fixture.Upstream.OpenAIBaseUrl,
                ["Providers:lab:ApiKey"] = FakeProviderServer.ValidKey,
                ["Providers:gone:Kind"] = "OpenAICompatible",
                ["Providers:gone:BaseUrl"] = "http://127.0.0.1:9/v1", // discard port: nothing listens
                ["Providers:gone:DefaultModel"] = "llama3.2",
                ["Providers:listed:Kind"] = "OpenAICompatible",
                ["Providers:listed:BaseUrl"] = "http://127.0.0.1:9/v1",
                ["Providers:listed:Models:0"] = "m1",
            }).Build());
        var logs = new CapturingLoggerProvider();
        using var loggers = new LoggerFactory([logs]);
        var models = new ProviderModels(_fixture.Services.GetRequiredService<ProviderClientFactory>(),
            new Microsoft.Extensions.Caching.Memory.MemoryCache(new Microsoft.Extensions.Caching.Memory.MemoryCacheOptions()), loggers.CreateLogger<ProviderModels>());
        using var check = new ProviderModelCheck(catalog, models, loggers.CreateLogger<ProviderModelCheck>());

        await check.StartAsync(TestContext.Current.CancellationToken);
        await check.ExecuteTask!;

        var warning = Assert.Single(logs.Entries, e => e.StartsWith("Warning", StringComparison.Ordinal));
        Assert.Contains("Provider gone has no Models list", warning, StringComparison.Ordinal);
        Assert.Contains("only its default model llama3.2", warning, StringComparison.Ordinal);
        Assert.Contains("Providers__gone__Models__0", warning, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.Contains("Provider lab lists", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Contains("listed", StringComparison.Ordinal)); // configured: not asked
        Assert.DoesNotContain(logs.Entries, e => e.Contains(FakeProviderServer.ValidKey, StringComparison.Ordinal));
    }
}
