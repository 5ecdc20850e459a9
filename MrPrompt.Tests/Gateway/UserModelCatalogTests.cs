using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway;
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
}
