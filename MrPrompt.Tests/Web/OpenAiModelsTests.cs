using System.ClientModel;
using MrPrompt.Tests.Support;
using OpenAI;

namespace MrPrompt.Tests.Web;

/// <summary>The official OpenAI .NET SDK, pointed at MrPrompt's /v1 with a mrp_ key, lists the caller's models.</summary>
public sealed class OpenAiModelsTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private OpenAIClient Sdk(string key) => new(new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(app.CreateClient().BaseAddress!, "/v1"),
        Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(app.CreateClient()),
    });

    [Fact]
    public async Task The_sdk_lists_models_as_provider_slash_model()
    {
        var models = await Sdk((await app.NewApiKeyAsync()).Key).GetOpenAIModelClient().GetModelsAsync(Ct);

        Assert.Contains(models.Value, m => m.Id == "echo/echo" && m.OwnedBy == "echo");
    }

    [Fact]
    public async Task A_key_limited_to_some_models_lists_only_those_and_a_bad_key_is_refused()
    {
        var limited = await Sdk((await app.NewApiKeyAsync(["openai/not-configured"])).Key).GetOpenAIModelClient().GetModelsAsync(Ct);
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => Sdk("mrp_" + new string('z', 43)).GetOpenAIModelClient().GetModelsAsync(Ct));

        Assert.DoesNotContain(limited.Value, m => m.Id == "echo/echo");
        Assert.Equal(401, refused.Status);
    }
}
