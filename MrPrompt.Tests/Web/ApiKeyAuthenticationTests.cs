using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>Programs reach the HTTP API with a personal key as a Bearer token; a bad key is a 401 ProblemDetails, never the login page.</summary>
public sealed class ApiKeyAuthenticationTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Client(string? bearer)
    {
        var client = app.CreateClient();
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return client;
    }

    [Fact]
    public async Task A_valid_key_reaches_the_api_as_its_owner()
    {
        var (_, key) = await app.NewApiKeyAsync();

        var response = await Client(key).GetAsync("/api/prompts?scope=Mine", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_bad_or_missing_key_is_a_401_problem_not_a_redirect()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        await app.Services.GetRequiredService<ApiKeyService>().RevokeAsync(userId, (await app.Services.GetRequiredService<ApiKeyService>().ListAsync(userId, Ct))[0].Id, cancellationToken: Ct);

        foreach (var bearer in new[] { key, "mrp_" + new string('x', 43), null })
        {
            var response = await Client(bearer).GetAsync("/api/prompts", Ct);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("API key", await response.Content.ReadAsStringAsync(Ct));
        }
    }
}
