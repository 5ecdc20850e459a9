using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// <c>POST /api/gateway</c>: the request and response bodies and the stream frames (docs/contracts.md,
/// "Gateway API" and "Gateway stream frames"),
/// through the real gateway to the fake upstream.
/// </summary>
public sealed class GatewayApiTests(ApiGatewayApp app) : IClassFixture<ApiGatewayApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Complete_runs_a_built_in_prompt_with_the_callers_variables()
    {
        var (_, key) = await app.NewApiKeyAsync();

        using var response = await PostAsync(key, """{"action":"complete","payload":{"prompt_key":"echo-test","variables":{"message":"hi there"}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.True(body.GetProperty("success").GetBoolean());
        var data = body.GetProperty("data");
        Assert.Equal(ProviderFixtures.OpenAIWholeText(), data.GetProperty("content").GetString());
        Assert.Equal("openai/gpt-4o-mini", data.GetProperty("model").GetString());
        Assert.False(data.GetProperty("cached").GetBoolean());
        var usage = data.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
        Assert.Contains("The user says: hi there", app.Upstream.Requests[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_sent_as_form_data_is_a_415_in_the_gateways_shape()
    {
        var (_, key) = await app.NewApiKeyAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/gateway");
        request.Content = new StringContent("""{"action":"complete","payload":{"prompt_key":"echo-test","variables":{"message":"hi"},"options":{"model":"echo/echo"}}}""",
            System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);

        using var response = await app.CreateClient().SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.False(body.GetProperty("success").GetBoolean());
        Assert.Equal("unsupported_media_type", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_prompt_that_would_render_past_the_limit_is_a_400_naming_it_and_reaches_no_provider()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        var editor = app.Services.GetRequiredService<PromptEditor>();
        var prompt = $"bomb-{Guid.NewGuid():N}"[..20];
        Assert.True((await editor.CreateAsync(userId, new PromptDetails(prompt, "Bomb", "", [], PromptVisibility.Private),
            new PromptContent("", string.Concat(Enumerable.Repeat("{{x}}", 5_000))), cancellationToken: Ct)).Succeeded);
        var before = app.Upstream.ChatRequestCount;
        var value = new string('x', 900_000); // under the 1 MiB body limit, 4.5 GB rendered

        using var response = await app.PostJsonAsync("/api/gateway", key,
            JsonSerializer.Serialize(new { action = "complete", payload = new { prompt_key = prompt, variables = new { x = value }, options = new { model = "openai/gpt-4o-mini" } } }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Prompts__MaxRenderedLength", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(before, app.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task The_callers_own_prompt_runs_at_the_version_asked_for_with_its_loaders_and_is_logged_against_it()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        var editor = app.Services.GetRequiredService<PromptEditor>();
        var created = await editor.CreateAsync(userId, new PromptDetails("greeting", "Greeting", "", [], PromptVisibility.Private),
            new PromptContent("", "First: hello {{name}}, you are {{user.email}}.", "openai/gpt-4o-mini", DataLoaders: ["user-profile"]), cancellationToken: Ct);
        Assert.Null(created.Problem);
        var id = created.Value;
        await editor.SaveVersionAsync(userId, id, new PromptContent("", "Second: hello {{name}}.", "openai/gpt-4o-mini"), "v2", Ct);

        using var response = await PostAsync(key, """{"action":"complete","payload":{"prompt_key":"greeting","variables":{"name":"Ada"},"options":{"version":1,"temperature":0.2}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = app.Upstream.Requests[^1].Body!;
        Assert.Contains("First: hello Ada, you are key-", sent, StringComparison.Ordinal);
        Assert.Contains("\"temperature\":0.2", sent, StringComparison.Ordinal);
        var row = Assert.Single(await app.UsageRowsAsync(response.Headers.GetValues("X-Trace-Id").Single(), 1));
        var version1 = (await app.Services.GetRequiredService<PromptLibrary>().GetAsync(userId, id, Ct)).Value!.Version(1)!;
        Assert.Equal(version1.Id, row.PromptVersionId);
    }

    [Fact]
    public async Task Missing_variables_unknown_prompts_and_bad_options_are_refused_before_any_upstream_call()
    {
        var (ownerId, _) = await app.NewApiKeyAsync();
        await app.Services.GetRequiredService<PromptEditor>().CreateAsync(ownerId,
            new PromptDetails("secret-plan", "Secret", "", [], PromptVisibility.Private), new PromptContent("", "Plan {{x}}", "openai/gpt-4o-mini"), cancellationToken: Ct);
        var (_, key) = await app.NewApiKeyAsync();
        var before = app.Upstream.ChatRequestCount;

        using var missing = await PostAsync(key, """{"action":"complete","payload":{"prompt_key":"echo-test"}}""");
        using var unknown = await PostAsync(key, """{"action":"complete","payload":{"prompt_key":"no-such-prompt"}}""");
        using var othersPrivate = await PostAsync(key, """{"action":"complete","payload":{"prompt_key":"secret-plan","variables":{"x":1}}}""");
        using var badAction = await PostAsync(key, """{"action":"explode","payload":{"prompt_key":"echo-test"}}""");
        using var badLoader = await PostAsync(key, """{"action":"complete","payload":{"prompt_key":"echo-test","data_loaders":["everything"],"variables":{"message":"m"}}}""");
        using var nullLoader = await PostAsync(key, """{"action":"complete","payload":{"prompt_key":"echo-test","data_loaders":[null],"variables":{"message":"m"}}}""");
        using var badVersion = await PostAsync(key, """{"action":"complete","payload":{"prompt_key":"echo-test","variables":{"message":"m"},"options":{"version":9}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var error = (await JsonAsync(missing)).GetProperty("error");
        Assert.Equal("invalid_request", error.GetProperty("code").GetString());
        Assert.Contains("message", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False((await JsonAsync(unknown)).GetProperty("success").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, othersPrivate.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badAction.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLoader.StatusCode);
        Assert.Contains("everything", (await JsonAsync(badLoader)).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, nullLoader.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badVersion.StatusCode);
        Assert.Equal(before, app.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task Stream_sends_ready_then_deltas_then_done_unbuffered()
    {
        var (_, key) = await app.NewApiKeyAsync();

        using var response = await PostAsync(key, """{"action":"stream","payload":{"prompt_key":"echo-test","variables":{"message":"hi"}}}""");
        var frames = SseFrame.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        Assert.Equal("ready", frames[0].Event);
        Assert.Equal(response.Headers.GetValues("X-Trace-Id").Single(), frames[0].Json.GetProperty("trace_id").GetString());
        var deltas = frames.Skip(1).TakeWhile(f => f.Event == "chat.delta").ToList();
        Assert.True(deltas.Count > 1);
        Assert.Equal("chat.done", frames[^1].Event);
        Assert.Equal(deltas.Count + 2, frames.Count);
        var done = frames[^1].Json;
        Assert.Equal(string.Concat(deltas.Select(d => d.Json.GetProperty("text").GetString())), done.GetProperty("content").GetString());
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), done.GetProperty("content").GetString());
        Assert.False(done.GetProperty("cached").GetBoolean());
        Assert.True(done.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task A_quiet_stream_gets_keepalives_and_a_failure_after_tokens_is_an_error_frame()
    {
        var (_, key) = await app.NewApiKeyAsync();
        app.Upstream.Enqueue(Fault.SlowFirstByte(TimeSpan.FromSeconds(2.5))); // keepalive every 1 s in this app
        using var slow = await PostAsync(key, """{"action":"stream","payload":{"prompt_key":"echo-test","variables":{"message":"slow"}}}""");
        var slowFrames = SseFrame.Parse(await slow.Content.ReadAsStringAsync(Ct));
        // Paced, so words reach the gateway before the reset (a reset discards what was not read yet).
        app.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(10);
        app.Upstream.Enqueue(Fault.CutAfter(20));
        using var cut = await PostAsync(key, """{"action":"stream","payload":{"prompt_key":"echo-test","variables":{"message":"cut"}}}""");
        var cutFrames = SseFrame.Parse(await cut.Content.ReadAsStringAsync(Ct));
        app.Upstream.ChunkDelay = TimeSpan.Zero;

        var beforeFirstDelta = slowFrames.TakeWhile(f => f.Event != "chat.delta").ToList();
        Assert.Equal("ready", beforeFirstDelta[0].Event);
        Assert.Contains(beforeFirstDelta, f => f.Event == "keepalive");
        Assert.Equal("chat.done", slowFrames[^1].Event);
        Assert.Equal("ready", cutFrames[0].Event);
        Assert.Contains(cutFrames, f => f.Event == "chat.delta");
        Assert.Equal("error", cutFrames[^1].Event);
        Assert.Equal("provider_unavailable", cutFrames[^1].Json.GetProperty("code").GetString());
        Assert.DoesNotContain(cutFrames, f => f.Event == "chat.done");
    }

    private Task<HttpResponseMessage> PostAsync(string key, string body) => app.PostJsonAsync("/api/gateway", key, body);

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
}
