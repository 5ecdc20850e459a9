using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// The app with its queue worker polling, and renewing leases, only every few minutes: a job that runs at all was woken
/// by LISTEN/NOTIFY, and a stop asked through the queue arrives by notification too. Two questions per chat at most.
/// </summary>
public sealed class ChatJobsApp(PostgresServer server) : ApiGatewayApp(server)
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Jobs:PollSeconds"] = "600";
        settings["Jobs:LeaseSeconds"] = "600";
        settings["Jobs:MaxQuestionsPerSession"] = "2";
        settings["Jobs:BackoffBaseSeconds"] = "0.05";
        // For compares: a second model of the same provider (which the tests hold to make slow) and one that always fails.
        settings["Providers:openai:Models:1:Id"] = "gpt-4o";
        settings["Providers:openai:Models:1:InputPrice"] = "2.5";
        settings["Providers:openai:Models:1:OutputPrice"] = "10";
        settings["Providers:broken:Kind"] = "OpenAICompatible";
        settings["Providers:broken:BaseUrl"] = Upstream.OpenAIBaseUrl;
        settings["Providers:broken:ApiKey"] = "sk-revoked-key-000000000000";
        settings["Providers:broken:Models:0"] = "gpt-4o-mini";
    }
}

/// <summary>
/// <c>/api/chat/jobs</c> (docs/contracts.md, "Chat jobs API"): each field of the request and response shapes, a job run by
/// the worker of the real app against the fake upstream, following it as a stream, cancelling it, and what is refused.
/// </summary>
public sealed class ChatJobsApiTests(ChatJobsApp app) : IClassFixture<ChatJobsApp>
{
    private const string Model = ApiGatewayApp.PricedModel;
    private const string LongName = "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"; // one past what an answer records

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_queued_question_is_accepted_then_answered_by_a_worker_woken_by_notify_and_reads_back_field_by_field()
    {
        var (_, key) = await app.NewApiKeyAsync();

        using var response = await app.PostJsonAsync("/api/chat/jobs", key, $$"""{"message":"Ça va? 你好","model":"{{Model}}"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await JsonAsync(response);
        var jobId = accepted.GetProperty("job_id").GetGuid();
        Assert.NotEqual(Guid.Empty, accepted.GetProperty("session_id").GetGuid());
        Assert.Equal("pending", accepted.GetProperty("status").GetString());
        Assert.True(accepted.GetProperty("queue_position").GetInt32() >= 1);
        Assert.True(accepted.GetProperty("estimated_duration_ms").GetInt64() >= 0);

        var frames = await FollowAsync(key, jobId); // ends when the job does: the worker ran it without a poll
        Assert.Equal("chat.done", frames[^1].Event);

        var job = await GetJsonAsync(key, $"/api/chat/jobs/{jobId}");
        Assert.Equal(jobId, job.GetProperty("job_id").GetGuid());
        Assert.Equal(accepted.GetProperty("session_id").GetGuid(), job.GetProperty("session_id").GetGuid());
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(100, job.GetProperty("progress").GetInt32());
        var result = job.GetProperty("result");
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), result.GetProperty("content").GetString());
        Assert.NotEqual(Guid.Empty, result.GetProperty("message_id").GetGuid());
        Assert.True(result.GetProperty("created_at").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);
        Assert.Equal(0, job.GetProperty("retry_count").GetInt32());
        Assert.True(job.GetProperty("processing_time_ms").GetInt64() >= 0);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("queue_position").ValueKind);
        Assert.True(job.GetProperty("updated_at").GetDateTimeOffset() >= job.GetProperty("created_at").GetDateTimeOffset());
        Assert.Contains(app.Upstream.Requests, r => r.IsChat && r.Body!.Contains(JsonEncodedText.Encode("Ça va? 你好").ToString(), StringComparison.Ordinal));
        var rows = await UsageRows.WaitForJobAsync(app.Services, jobId, 1);
        Assert.Equal(MrPrompt.Domain.Usage.UsageSource.Job, Assert.Single(rows).Source);
    }

    [Fact]
    public async Task A_follow_up_in_the_same_chat_sends_the_history_and_the_list_shows_both_jobs_with_figures()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var first = await SubmitAsync(key, $$"""{"message":"First question","model":"{{Model}}"}""");
        await FollowAsync(key, first.JobId);

        var second = await SubmitAsync(key, $$"""{"session_id":"{{first.SessionId}}","message":"Second question"}""");
        await FollowAsync(key, second.JobId);

        Assert.Equal(first.SessionId, second.SessionId);
        var sent = app.Upstream.Requests.Last(r => r.IsChat && r.Body!.Contains("Second question", StringComparison.Ordinal)).Body!;
        Assert.Contains("First question", sent, StringComparison.Ordinal);
        Assert.Contains(JsonEncodedText.Encode(ProviderFixtures.OpenAIStreamText()).ToString()[..20], sent, StringComparison.Ordinal);

        var list = await GetJsonAsync(key, $"/api/chat/jobs?session_id={first.SessionId}&limit=10");
        var jobs = list.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal([second.JobId, first.JobId], jobs.Select(j => j.GetProperty("job_id").GetGuid()));
        Assert.All(jobs, j => Assert.Equal("completed", j.GetProperty("status").GetString()));
        var stats = list.GetProperty("session_stats");
        Assert.Equal(2, stats.GetProperty("total_jobs").GetInt32());
        Assert.Equal(2, stats.GetProperty("completed_jobs").GetInt32());
        Assert.Equal(0, stats.GetProperty("failed_jobs").GetInt32());
        Assert.True(stats.GetProperty("average_processing_time_ms").GetInt64() >= 0);

        // Two questions is this app's limit per chat: the third is refused, naming the setting, and nothing is queued.
        using var third = await app.PostJsonAsync("/api/chat/jobs", key, $$"""{"session_id":"{{first.SessionId}}","message":"Third question"}""");
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("Jobs__MaxQuestionsPerSession", (await JsonAsync(third)).GetProperty("detail").GetString());
        Assert.Equal(2, (await GetJsonAsync(key, $"/api/chat/jobs?session_id={first.SessionId}")).GetProperty("session_stats").GetProperty("total_jobs").GetInt32());
    }

    [Fact]
    public async Task The_event_stream_sends_ready_then_deltas_that_make_the_whole_answer_then_done()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var job = await SubmitAsync(key, $$"""{"message":"Stream it","model":"{{Model}}"}""");

        var frames = await FollowAsync(key, job.JobId);

        Assert.Equal("ready", frames[0].Event);
        Assert.Equal(job.JobId, frames[0].Json.GetProperty("job_id").GetGuid());
        var deltas = frames.Where(f => f.Event == "chat.delta").Select(f => f.Json.GetProperty("text").GetString()).ToList();
        Assert.NotEmpty(deltas);
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), string.Concat(deltas));
        var done = frames[^1];
        Assert.Equal("chat.done", done.Event);
        Assert.Equal("completed", done.Json.GetProperty("status").GetString());
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), done.Json.GetProperty("result").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Cancelling_a_running_job_stops_it_keeps_what_was_written_and_cannot_be_done_twice()
    {
        var (_, key) = await app.NewApiKeyAsync();
        app.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(50);
        try
        {
            var job = await SubmitAsync(key, $$"""{"message":"A long story please","model":"{{Model}}"}""");
            var firstWords = await FirstDeltaAsync(key, job.JobId);

            using var cancelled = await SendAsync(HttpMethod.Delete, key, $"/api/chat/jobs/{job.JobId}");
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);

            var frames = await FollowAsync(key, job.JobId);
            Assert.Equal("chat.done", frames[^1].Event);
            var ended = await GetJsonAsync(key, $"/api/chat/jobs/{job.JobId}");
            Assert.Equal("cancelled", ended.GetProperty("status").GetString());
            var kept = ended.GetProperty("result").GetProperty("content").GetString()!;
            Assert.StartsWith(firstWords, kept, StringComparison.Ordinal);
            Assert.NotEqual(ProviderFixtures.OpenAIStreamText(), kept);
            using var again = await SendAsync(HttpMethod.Delete, key, $"/api/chat/jobs/{job.JobId}");
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }
        finally
        {
            app.Upstream.ChunkDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task A_follower_sees_a_run_that_fails_before_its_first_words_and_the_retry_that_answers()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var gate = app.Upstream.Hold("gpt-4o-mini");
        try
        {
            var asked = app.Upstream.ChatRequestCount;
            var job = await SubmitAsync(key, $$"""{"message":"Retry me","model":"{{Model}}"}""");
            await app.Upstream.WaitForChatRequestsAsync(asked + 1, Ct); // its first run waits at the provider, live on this instance
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/chat/jobs/{job.JobId}/events");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await app.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            Assert.Equal("event: ready", await reader.ReadLineAsync(Ct)); // the follower has found the live run
            app.Upstream.Enqueue(Fault.Status(503), Fault.Status(503), Fault.Status(503)); // the gateway's three tries all fail

            gate.SetResult();
            var frames = SseFrame.Parse("event: ready\n" + await reader.ReadToEndAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct))
                .Where(f => f.Event != "keepalive").ToList();

            Assert.Equal("chat.done", frames[^1].Event);
            Assert.Equal("completed", frames[^1].Json.GetProperty("status").GetString());
            Assert.Equal(1, frames[^1].Json.GetProperty("retry_count").GetInt32());
            Assert.Equal(ProviderFixtures.OpenAIStreamText(), string.Concat(frames.Where(f => f.Event == "chat.delta").Select(f => f.Json.GetProperty("text").GetString())));
        }
        finally
        {
            gate.TrySetResult();
            app.Upstream.Reset();
        }
    }

    [Fact]
    public async Task A_stop_asked_through_the_queue_as_another_instance_would_reaches_the_instance_running_the_job()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        app.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(50);
        try
        {
            var job = await SubmitAsync(key, $$"""{"message":"Another long story","model":"{{Model}}"}""");
            await FirstDeltaAsync(key, job.JobId);

            // What DELETE does on an instance that is not running the job: flag it in Postgres and notify.
            var asked = await app.Services.GetRequiredService<JobQueue>().CancelAsync(userId, job.JobId, Ct);

            Assert.Equal(MrPrompt.Domain.Jobs.JobStatus.Processing, asked);
            var frames = await FollowAsync(key, job.JobId);
            Assert.Equal("cancelled", frames[^1].Json.GetProperty("status").GetString());
        }
        finally
        {
            app.Upstream.ChunkDelay = TimeSpan.Zero;
        }
    }

    [Theory]
    [InlineData("""{"model":"openai/gpt-4o-mini"}""", "message is required")]
    [InlineData("""{"message":"hi","model":"openai/gpt-4o-mini","priority":11}""", "priority must be from -10 to 10")]
    [InlineData("""{"message":"hi"}""", "Name a model")]
    [InlineData("""{"message":"hi","model":"not a model"}""", "is not a model")]
    [InlineData("{\"message\":\"hi\",\"model\":\"openai/" + LongName + "\"}", "is not a model")] // not a 500 from a column too short
    [InlineData("""{"message":"","model":"openai/gpt-4o-mini"}""", "Write a message first")]
    [InlineData("""{"message":"hi","variables":{"a":1}}""", "variables need a prompt_key")]
    [InlineData("""{"message":"hi","model":"openai/gpt-4o-mini" """, "not valid JSON")]
    public async Task Bad_bodies_are_400s_with_a_reason_and_queue_nothing(string body, string reason)
    {
        var (userId, key) = await app.NewApiKeyAsync();

        using var response = await app.PostJsonAsync("/api/chat/jobs", key, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, (await JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, (await GetJsonAsync(key, "/api/chat/jobs")).GetProperty("session_stats").GetProperty("total_jobs").GetInt32());
        Assert.NotEqual(Guid.Empty, userId);
    }

    [Fact]
    public async Task Another_users_job_and_chat_are_not_found_and_a_form_post_is_a_415()
    {
        var (_, owner) = await app.NewApiKeyAsync();
        var (_, stranger) = await app.NewApiKeyAsync();
        var job = await SubmitAsync(owner, $$"""{"message":"Mine","model":"{{Model}}"}""");
        await FollowAsync(owner, job.JobId);

        using var read = await SendAsync(HttpMethod.Get, stranger, $"/api/chat/jobs/{job.JobId}");
        using var cancel = await SendAsync(HttpMethod.Delete, stranger, $"/api/chat/jobs/{job.JobId}");
        using var follow = await SendAsync(HttpMethod.Get, stranger, $"/api/chat/jobs/{job.JobId}/events");
        using var intoTheirChat = await app.PostJsonAsync("/api/chat/jobs", stranger, $$"""{"session_id":"{{job.SessionId}}","message":"Let me in"}""");
        var strangersList = await GetJsonAsync(stranger, $"/api/chat/jobs?session_id={job.SessionId}");
        using var anonymous = await app.CreateClient().GetAsync($"/api/chat/jobs/{job.JobId}", Ct);
        using var form = new HttpRequestMessage(HttpMethod.Post, "/api/chat/jobs") { Content = new StringContent("message=hi", Encoding.UTF8, "application/x-www-form-urlencoded") };
        form.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner);
        using var formResponse = await app.CreateClient().SendAsync(form, Ct);

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, follow.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, intoTheirChat.StatusCode);
        Assert.Empty(strangersList.GetProperty("jobs").EnumerateArray());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, formResponse.StatusCode);
        Assert.DoesNotContain(app.Upstream.Requests, r => r.Body?.Contains("Let me in", StringComparison.Ordinal) == true);
    }

    private async Task WaitForStatusAsync(string key, Guid jobId, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await GetJsonAsync(key, $"/api/chat/jobs/{jobId}")).GetProperty("status").GetString() != status)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The job never became {status}.");
            await Task.Delay(20, Ct);
        }
    }

    private async Task<(Guid JobId, Guid SessionId)> SubmitAsync(string key, string body)
    {
        using var response = await app.PostJsonAsync("/api/chat/jobs", key, body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var json = await JsonAsync(response);
        return (json.GetProperty("job_id").GetGuid(), json.GetProperty("session_id").GetGuid());
    }

    /// <summary>The job's whole event stream; it ends when the job does.</summary>
    private async Task<List<SseFrame>> FollowAsync(string key, Guid jobId)
    {
        using var response = await SendAsync(HttpMethod.Get, key, $"/api/chat/jobs/{jobId}/events");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return SseFrame.Parse(await response.Content.ReadAsStringAsync(Ct)).Where(f => f.Event != "keepalive").ToList();
    }

    /// <summary>Reads the job's stream only until its first words arrive, and returns them.</summary>
    private async Task<string> FirstDeltaAsync(string key, Guid jobId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/chat/jobs/{jobId}/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await app.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var eventName = "";
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventName = line["event: ".Length..];
            }
            else if (eventName == "chat.delta" && line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("text").GetString()!;
            }
        }
        throw new InvalidOperationException("The stream ended before any text.");
    }

    private async Task<JsonElement> GetJsonAsync(string key, string path)
    {
        using var response = await SendAsync(HttpMethod.Get, key, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string key, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await app.CreateClient().SendAsync(request, Ct);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
}
