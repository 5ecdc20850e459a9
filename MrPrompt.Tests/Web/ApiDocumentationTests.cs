using System.Net;
using System.Text.Json;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

public sealed class ApiDocumentationTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_openapi_document_describes_the_programs_api_and_its_bearer_keys()
    {
        using var response = await app.CreateClient().GetAsync("/openapi/v1.json", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/chat/completions", paths);
        Assert.Contains("/v1/models", paths);
        Assert.Contains("/api/gateway", paths);
        Assert.Contains("/api/prompts", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/Account", StringComparison.Ordinal));
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.True(document.GetProperty("paths").GetProperty("/api/gateway").GetProperty("post").TryGetProperty("requestBody", out _));
    }

    [Fact]
    public async Task The_docs_page_is_served_from_the_app_itself()
    {
        using var response = await app.CreateClient().GetAsync("/docs/", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);
        using var script = await app.CreateClient().GetAsync("/docs/scalar.js", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("MrPrompt API", html, StringComparison.Ordinal);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.Contains("<script src=\"scalar.js\">", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync(Ct)).Length > 10_000);
    }
}
