using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// The prompt API as a program uses it with its API key: create a prompt, label a version
/// <c>production</c>, fetch it by key and label at run time, run it through <c>/api/gateway</c>; and
/// the protected labels an admin sets.
/// </summary>
public sealed class PromptApiTests(ApiGatewayApp app) : IClassFixture<ApiGatewayApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewKey() => $"api-{Guid.NewGuid():N}"[..24];

    private static string CreateBody(string key, string userTemplate = "Write about {{topic}} for {{audience | default: \"everyone\"}}.") =>
        JsonSerializer.Serialize(new
        {
            key, title = "Listing copy ✓", description = "For the shop", tags = new[] { "sales" }, visibility = "Private",
            systemPrompt = "Be brief.", userTemplate, model = ApiGatewayApp.PricedModel, temperature = 0.2, changeNote = "First cut",
        });

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string key, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }
        return await app.CreateClient().SendAsync(request, Ct);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    [Fact]
    public async Task A_program_creates_labels_fetches_by_label_and_runs_a_prompt_through_the_gateway()
    {
        var (_, apiKey) = await app.NewApiKeyAsync();
        var promptKey = NewKey();

        using var created = await SendAsync(HttpMethod.Post, "/api/prompts", apiKey, CreateBody(promptKey));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var prompt = await JsonAsync(created);
        var id = prompt.GetProperty("id").GetGuid();
        Assert.Equal($"/api/prompts/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal(("Listing copy ✓", 1), (prompt.GetProperty("title").GetString(), prompt.GetProperty("versions")[0].GetProperty("number").GetInt32()));

        using var second = await SendAsync(HttpMethod.Post, $"/api/prompts/{id}/versions", apiKey,
            JsonSerializer.Serialize(new { systemPrompt = "Be very brief.", userTemplate = "Two lines on {{topic}}.", model = ApiGatewayApp.PricedModel }));
        using var labelled = await SendAsync(HttpMethod.Put, $"/api/prompts/{id}/labels/production", apiKey, """{"version":1}""");
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (second.StatusCode, labelled.StatusCode));

        using var byLabel = await SendAsync(HttpMethod.Get, $"/api/prompts/by-key/{promptKey}?label=production", apiKey);
        using var byVersion = await SendAsync(HttpMethod.Get, $"/api/prompts/by-key/{promptKey}?version=2", apiKey);
        using var byDefault = await SendAsync(HttpMethod.Get, $"/api/prompts/by-key/{promptKey}", apiKey);
        var production = await JsonAsync(byLabel);
        Assert.Equal(1, production.GetProperty("version").GetProperty("number").GetInt32());
        Assert.Equal("Be brief.", production.GetProperty("version").GetProperty("systemPrompt").GetString());
        Assert.Equal(0.2f, production.GetProperty("version").GetProperty("temperature").GetSingle());
        var variables = production.GetProperty("variables").EnumerateArray()
            .Select(v => (v.GetProperty("name").GetString(), v.GetProperty("required").GetBoolean(), v.GetProperty("default").GetString())).ToList();
        Assert.Equal([("topic", true, null), ("audience", false, "everyone")], variables);
        Assert.Equal("Two lines on {{topic}}.", (await JsonAsync(byVersion)).GetProperty("version").GetProperty("userTemplate").GetString());
        Assert.Equal(1, (await JsonAsync(byDefault)).GetProperty("version").GetProperty("number").GetInt32()); // production wins over the latest

        using var run = await app.PostJsonAsync("/api/gateway", apiKey, JsonSerializer.Serialize(new
        {
            action = "complete", payload = new { prompt_key = promptKey, variables = new { topic = "a blue teapot" }, options = new { label = "production" } },
        }));
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.True((await JsonAsync(run)).GetProperty("success").GetBoolean());
        var upstream = app.Upstream.Requests[^1].Body;
        Assert.Contains("Write about a blue teapot for everyone.", upstream, StringComparison.Ordinal);
        Assert.Contains("Be brief.", upstream, StringComparison.Ordinal);

        using var versions = await SendAsync(HttpMethod.Get, $"/api/prompts/{id}/versions", apiKey);
        var listed = (await JsonAsync(versions)).EnumerateArray().Select(v => v.GetProperty("number").GetInt32()).ToList();
        Assert.Equal([2, 1], listed);
    }

    [Fact]
    public async Task Asking_for_a_label_or_version_that_does_not_exist_is_a_404_saying_which()
    {
        var (_, apiKey) = await app.NewApiKeyAsync();
        var promptKey = NewKey();
        using var created = await SendAsync(HttpMethod.Post, "/api/prompts", apiKey, CreateBody(promptKey));

        using var noLabel = await SendAsync(HttpMethod.Get, $"/api/prompts/by-key/{promptKey}?label=staging", apiKey);
        using var noVersion = await SendAsync(HttpMethod.Get, $"/api/prompts/by-key/{promptKey}?version=7", apiKey);
        using var noPrompt = await SendAsync(HttpMethod.Get, $"/api/prompts/by-key/{NewKey()}", apiKey);
        using var both = await SendAsync(HttpMethod.Get, $"/api/prompts/by-key/{promptKey}?version=1&label=production", apiKey);

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.BadRequest),
            (noLabel.StatusCode, noVersion.StatusCode, noPrompt.StatusCode, both.StatusCode));
        Assert.Contains("no label 'staging'", (await JsonAsync(noLabel)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("no version 7", (await JsonAsync(noVersion)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_to_create_is_a_400_naming_each_field_and_nothing_is_saved()
    {
        var (userId, apiKey) = await app.NewApiKeyAsync();
        // A member, whichever test of the class registers first (the first account of a database is its Admin).
        await TestUsers.SetRoleAsync(app.Services, userId, "User");

        using var response = await SendAsync(HttpMethod.Post, "/api/prompts", apiKey,
            """{"key":"Not A Slug","title":"","userTemplate":"Hi {{name","visibility":"Public"}""");
        using var notJson = await SendAsync(HttpMethod.Post, "/api/prompts", apiKey, """{"key":""");
        using var nullTag = await SendAsync(HttpMethod.Post, "/api/prompts", apiKey, """{"key":"null-tags","title":"T","userTemplate":"Hi","tags":[null,"ok"]}""");
        Assert.Equal(HttpStatusCode.Created, nullTag.StatusCode); // a null tag is no tag, never a 500
        Assert.Equal(["ok"], (await JsonAsync(nullTag)).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        await app.Services.GetRequiredService<PromptEditor>().DeleteAsync(userId, (await JsonAsync(nullTag)).GetProperty("id").GetGuid(), Ct);

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (response.StatusCode, notJson.StatusCode));
        var errors = (await JsonAsync(response)).GetProperty("errors");
        Assert.Contains("lower-case", errors.GetProperty("key")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("title", errors.GetProperty("title")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("never closed", errors.GetProperty("userTemplate")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("Only authors and admins can publish", errors.GetProperty("visibility")[0].GetString(), StringComparison.Ordinal);
        var mine = await app.Services.GetRequiredService<PromptLibrary>().ListAsync(userId, new PromptQuery(Scope: PromptScope.Mine), Ct);
        Assert.Empty(mine);
    }

    [Fact]
    public async Task Deleting_a_prompt_removes_it_for_good_and_another_user_can_neither_delete_nor_read_it()
    {
        var (_, owner) = await app.NewApiKeyAsync();
        var (_, stranger) = await app.NewApiKeyAsync();
        var promptKey = NewKey();
        using var created = await SendAsync(HttpMethod.Post, "/api/prompts", owner, CreateBody(promptKey));
        var id = (await JsonAsync(created)).GetProperty("id").GetGuid();

        using var strangersDelete = await SendAsync(HttpMethod.Delete, $"/api/prompts/{id}", stranger);
        using var strangersVersions = await SendAsync(HttpMethod.Get, $"/api/prompts/{id}/versions", stranger);
        using var strangersFetch = await SendAsync(HttpMethod.Get, $"/api/prompts/by-key/{promptKey}", stranger);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
            (strangersDelete.StatusCode, strangersVersions.StatusCode, strangersFetch.StatusCode));

        using var deleted = await SendAsync(HttpMethod.Delete, $"/api/prompts/{id}", owner);
        using var again = await SendAsync(HttpMethod.Delete, $"/api/prompts/{id}", owner);
        using var fetched = await SendAsync(HttpMethod.Get, $"/api/prompts/by-key/{promptKey}", owner);
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (deleted.StatusCode, again.StatusCode, fetched.StatusCode));
    }

    [Fact]
    public async Task Once_an_admin_protects_production_only_authors_and_admins_move_it()
    {
        var admin = await TestUsers.RegisterAsync(app.Services);
        await TestUsers.SetRoleAsync(app.Services, admin, AppRoles.Admin);
        var (userId, userKey) = await app.NewApiKeyAsync();
        await TestUsers.SetRoleAsync(app.Services, userId, AppRoles.User);
        var (authorId, authorKey) = await app.NewApiKeyAsync();
        await TestUsers.SetRoleAsync(app.Services, authorId, AppRoles.Author);
        using var usersPrompt = await SendAsync(HttpMethod.Post, "/api/prompts", userKey, CreateBody(NewKey()));
        using var authorsPrompt = await SendAsync(HttpMethod.Post, "/api/prompts", authorKey, CreateBody(NewKey()));
        var (userPromptId, authorPromptId) = ((await JsonAsync(usersPrompt)).GetProperty("id").GetGuid(), (await JsonAsync(authorsPrompt)).GetProperty("id").GetGuid());
        using var beforeProtection = await SendAsync(HttpMethod.Put, $"/api/prompts/{userPromptId}/labels/production", userKey, """{"version":1}""");
        Assert.Equal(HttpStatusCode.OK, beforeProtection.StatusCode);

        var labels = app.Services.GetRequiredService<ProtectedLabels>();
        Assert.Null(await labels.ChangeAsync(TestUsers.AsAdmin(admin), ["Production", " production"], Ct));
        try
        {
            using var usersMove = await SendAsync(HttpMethod.Put, $"/api/prompts/{userPromptId}/labels/production", userKey, """{"version":1}""");
            using var usersStaging = await SendAsync(HttpMethod.Put, $"/api/prompts/{userPromptId}/labels/staging", userKey, """{"version":1}""");
            using var authorsMove = await SendAsync(HttpMethod.Put, $"/api/prompts/{authorPromptId}/labels/production", authorKey, """{"version":1}""");

            Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.OK, HttpStatusCode.OK), (usersMove.StatusCode, usersStaging.StatusCode, authorsMove.StatusCode));
            Assert.Contains("protected the label 'production'", (await JsonAsync(usersMove)).GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.False((await app.Services.GetRequiredService<PromptEditor>().RemoveLabelAsync(userId, userPromptId, "production", Ct)).Succeeded);
            Assert.Equal(["production"], await labels.CurrentAsync(Ct));
            // Nor by deleting the prompt and making it again under the same key.
            using var usersDelete = await SendAsync(HttpMethod.Delete, $"/api/prompts/{userPromptId}", userKey);
            Assert.Equal(HttpStatusCode.Forbidden, usersDelete.StatusCode);
            Assert.NotNull(await labels.ChangeAsync(TestUsers.AsAdmin(admin), ["not a label"], Ct));
        }
        finally
        {
            await labels.ChangeAsync(TestUsers.AsAdmin(admin), [], Ct);
        }
    }

    [Fact]
    public async Task The_openapi_document_lists_the_prompt_api_with_an_example_body()
    {
        var (_, apiKey) = await app.NewApiKeyAsync();

        using var response = await SendAsync(HttpMethod.Get, "/openapi/v1.json", apiKey);

        var paths = (await JsonAsync(response)).GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/prompts/by-key/{key}", out _));
        Assert.True(paths.GetProperty("/api/prompts/{id}").TryGetProperty("delete", out _));
        Assert.True(paths.TryGetProperty("/api/prompts/{id}/versions", out var versions) && versions.TryGetProperty("get", out _));
        var example = paths.GetProperty("/api/prompts").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example");
        Assert.Equal("listing-description", example.GetProperty("key").GetString());
        Assert.Equal("Private", example.GetProperty("visibility").GetString());
    }
}
