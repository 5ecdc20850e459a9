using System.Net;
using System.Text.Json;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

public sealed class ApiDocumentationTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpClient> SignedInAsync()
    {
        var client = app.CreateClient();
        await AccountForms.RegisterAsync(client, $"docs-{Guid.NewGuid():N}@example.com", "Passw0rd!");
        return client;
    }

    [Fact]
    public async Task The_openapi_document_describes_the_programs_api_and_its_bearer_keys()
    {
        using var response = await (await SignedInAsync()).GetAsync("/openapi/v1.json", Ct);

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
        var client = await SignedInAsync();
        using var response = await client.GetAsync("/docs/", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);
        using var script = await client.GetAsync("/docs/scalar.js", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("MrPrompt API", html, StringComparison.Ordinal);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.Contains("<script src=\"scalar.js\">", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync(Ct)).Length > 10_000);
    }

    [Fact]
    public async Task Strangers_get_no_map_of_the_api_while_a_program_with_a_key_does()
    {
        var (_, key) = await app.NewApiKeyAsync();
        using var byKey = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        byKey.Headers.Authorization = new("Bearer", key);

        using var document = await app.CreateClient().GetAsync("/openapi/v1.json", Ct);
        using var docs = await app.CreateClient().GetAsync("/docs/", Ct);
        using var program = await app.CreateClient().SendAsync(byKey, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, document.StatusCode);
        Assert.DoesNotContain("/v1/chat/completions", await document.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, docs.StatusCode);
        Assert.Equal("/Account/Login", new Uri(new Uri("http://localhost"), docs.Headers.Location!).AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, program.StatusCode);
    }
}

/// <summary>With <c>Api__PublicDocs=true</c>, anyone may read the API's map.</summary>
public sealed class PublicApiDocumentationTests(PublicApiDocumentationTests.PublicDocsApp app) : IClassFixture<PublicApiDocumentationTests.PublicDocsApp>
{
    public sealed class PublicDocsApp(PostgresServer server) : MrPromptApp(server)
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["Api:PublicDocs"] = "true";
    }

    [Fact]
    public async Task Anyone_reads_the_docs_and_the_document()
    {
        using var document = await app.CreateClient().GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        using var docs = await app.CreateClient().GetAsync("/docs/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
    }
}
