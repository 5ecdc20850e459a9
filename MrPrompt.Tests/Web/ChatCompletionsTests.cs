using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using MrPrompt.Domain.Usage;
using MrPrompt.Tests.Support;
using OpenAI.Chat;

namespace MrPrompt.Tests.Web;

/// <summary>
/// The official OpenAI .NET SDK as a client of MrPrompt's <c>/v1/chat/completions</c>, through the
/// real gateway to the fake upstream: whole and streamed answers, usage, and errors with honest statuses.
/// </summary>
public sealed class ChatCompletionsTests(ApiGatewayApp app) : IClassFixture<ApiGatewayApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_whole_answer_comes_back_in_openai_shape_and_is_logged_against_the_key()
    {
        var (userId, key) = await app.NewApiKeyAsync();

        var result = await app.Sdk(key).GetChatClient(ApiGatewayApp.PricedModel).CompleteChatAsync([new UserChatMessage("Hello, world!")], cancellationToken: Ct);

        // A whole answer is asked of the provider whole, so the recorded non-streamed exchange comes back.
        Assert.Equal(ProviderFixtures.OpenAIWholeText(), result.Value.Content[0].Text);
        Assert.Equal(ApiGatewayApp.PricedModel, result.Value.Model);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("X-Trace-Id", out var traceId));
        var row = Assert.Single(await app.UsageRowsAsync(traceId!, 1));
        Assert.False(row.TokensEstimated);
        Assert.Equal(row.InputTokens, result.Value.Usage.InputTokenCount);
        Assert.Equal(row.OutputTokens, result.Value.Usage.OutputTokenCount);
        Assert.Equal(userId, row.UserId);
        Assert.Equal(UsageSource.Api, row.Source);
        Assert.NotNull(row.ApiKeyId);
        Assert.Equal(UsageStatus.Success, row.Status);
    }

    [Fact]
    public async Task A_streamed_answer_arrives_in_chunks_and_ends_with_the_usage_chunk()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var text = new StringBuilder();
        var updates = new List<StreamingChatCompletionUpdate>();

        await foreach (var update in app.Sdk(key).GetChatClient(ApiGatewayApp.PricedModel).CompleteChatStreamingAsync([new UserChatMessage("Hello")], cancellationToken: Ct))
        {
            updates.Add(update);
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal(ProviderFixtures.OpenAIStreamText(), text.ToString());
        Assert.True(updates.Count(u => u.ContentUpdate.Count > 0) > 1, "the answer came in one piece");
        Assert.Contains(updates, u => u.FinishReason == ChatFinishReason.Stop);
        var usage = updates[^1].Usage;
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount > 0);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
    }

    [Fact]
    public async Task Without_include_usage_the_stream_has_no_usage_chunk_and_ends_with_done()
    {
        var (_, key) = await app.NewApiKeyAsync();

        var frames = await RawStreamAsync(key, """{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal("[DONE]", frames[^1]);
        Assert.DoesNotContain(frames, f => f.Contains("\"usage\"", StringComparison.Ordinal));
        using var first = JsonDocument.Parse(frames[0]);
        Assert.Equal("chat.completion.chunk", first.RootElement.GetProperty("object").GetString());
        Assert.Equal("assistant", first.RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
    }

    [Fact]
    public async Task Unknown_and_forbidden_models_and_upstream_outages_are_errors_with_honest_statuses()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var (_, limitedKey) = await app.NewApiKeyAsync(["echo/echo"]);

        var unknown = await Assert.ThrowsAsync<ClientResultException>(() =>
            app.Sdk(key).GetChatClient("nowhere/gpt-9").CompleteChatAsync([new UserChatMessage("Hi")], cancellationToken: Ct));
        var forbidden = await Assert.ThrowsAsync<ClientResultException>(() =>
            app.Sdk(limitedKey).GetChatClient(ApiGatewayApp.PricedModel).CompleteChatAsync([new UserChatMessage("Hi")], cancellationToken: Ct));
        app.Upstream.Enqueue(Fault.Status(503), Fault.Status(503), Fault.Status(503));
        var before = app.Upstream.ChatRequestCount;
        var outage = await Assert.ThrowsAsync<ClientResultException>(() =>
            app.Sdk(key).GetChatClient(ApiGatewayApp.PricedModel).CompleteChatAsync([new UserChatMessage("Hi")], cancellationToken: Ct));
        Assert.Equal(3, app.Upstream.ChatRequestCount - before);

        Assert.Equal(404, unknown.Status);
        Assert.Equal(403, forbidden.Status);
        Assert.Contains("may not use openai/gpt-4o-mini", forbidden.Message, StringComparison.Ordinal);
        Assert.Equal(503, outage.Status);
        Assert.Contains("not answering", outage.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_oversized_and_anonymous_requests_are_refused_before_any_upstream_call()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var before = app.Upstream.ChatRequestCount;
        var huge = new string('x', 2 * 1024 * 1024);

        using var oversized = await PostAsync(key, $$"""{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"{{huge}}"}]}""");
        using var malformed = await PostAsync(key, """{"model":"openai/gpt-4o-mini","messages":[""");
        using var noModel = await PostAsync(key, """{"messages":[{"role":"user","content":"Hi"}]}""");
        using var badRole = await PostAsync(key, """{"model":"openai/gpt-4o-mini","messages":[{"role":"tool","content":"Hi"}]}""");
        using var nullMessage = await PostAsync(key, """{"model":"openai/gpt-4o-mini","messages":[null]}""");
        using var anonymous = await PostAsync(null, """{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("invalid_request_error", await ErrorTypeAsync(malformed));
        Assert.Equal(HttpStatusCode.BadRequest, noModel.StatusCode);
        Assert.Contains("provider/model", await noModel.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        Assert.Contains("messages[0]", await badRole.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, nullMessage.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.True(oversized.Headers.Contains("X-Trace-Id"));
        Assert.Equal(before, app.Upstream.ChatRequestCount);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")] // what curl -d says
    [InlineData("text/plain")] // what a form on another site can send without asking
    [InlineData(null)]
    public async Task A_body_not_sent_as_json_is_a_415_in_openai_shape_naming_the_header(string? contentType)
    {
        var (_, key) = await app.NewApiKeyAsync();
        var before = app.Upstream.ChatRequestCount;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}""")),
        };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);

        using var response = await app.CreateClient().SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("unsupported_media_type", error.GetProperty("code").GetString());
        Assert.Contains("Content-Type: application/json", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, app.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task A_signed_in_browser_must_send_json_as_json_so_another_sites_form_cannot_call()
    {
        var browser = app.CreateClient();
        await AccountForms.RegisterAsync(browser, $"form-{Guid.NewGuid():N}@example.com", "Passw0rd!");
        var before = app.Upstream.ChatRequestCount;
        const string body = """{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}""";

        using var form = await browser.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "text/plain"), Ct);
        using var json = await browser.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        Assert.Contains("Content-Type: application/json", await form.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal(before + 1, app.Upstream.ChatRequestCount);
    }

    [Theory]
    [InlineData("cross-site")]
    [InlineData("same-site")] // a sibling subdomain, which the SameSite cookie lets through
    [InlineData(null)] // no word of where it came from, and no antiforgery token
    public async Task A_signed_in_browsers_call_not_from_mrprompts_pages_is_refused_in_openai_shape(string? fetchSite)
    {
        var browser = app.CreateClient();
        browser.DefaultRequestHeaders.Remove("Sec-Fetch-Site");
        await AccountForms.RegisterAsync(browser, $"csrf-{Guid.NewGuid():N}@example.com", "Passw0rd!");
        var before = app.Upstream.ChatRequestCount;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}""", Encoding.UTF8, "application/json"),
        };
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        using var response = await browser.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("cross_site_request", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(before, app.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task A_program_without_a_valid_key_gets_a_401_in_openai_shape()
    {
        using var response = await PostAsync("mrp_not-a-real-key", """{"model":"echo/echo","messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("invalid_api_key", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_unknown_api_address_is_a_json_404_not_a_page()
    {
        var (_, key) = await app.NewApiKeyAsync();

        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);

        using var response = await client.GetAsync("/v1/no-such-endpoint", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private Task<HttpResponseMessage> PostAsync(string? key, string body) =>
        app.PostJsonAsync("/v1/chat/completions", key, body, completion: HttpCompletionOption.ResponseHeadersRead);

    private async Task<List<string>> RawStreamAsync(string key, string body)
    {
        using var response = await PostAsync(key, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return SseFrame.Parse(text).Select(f => f.Data).ToList();
    }

    private static async Task<string?> ErrorTypeAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return json.RootElement.GetProperty("error").GetProperty("type").GetString();
    }
}
