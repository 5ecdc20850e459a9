using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.E2E.Support;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E.Fleet;

/// <summary>
/// Two instances behind nginx on one Postgres, as real processes (<see cref="Fleet"/>): every promise of a single instance
/// still holds across them, and an instance can die, restart or drain without losing an answer.
/// </summary>
public sealed class FleetTests(Fleet fleet, Browser browser) : IClassFixture<Fleet>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly string FullAnswer = ProviderFixtures.OpenAIStreamText();

    public async ValueTask InitializeAsync()
    {
        fleet.Upstream.Reset();
        await fleet.EnsureRunningAsync();
    }

    public async ValueTask DisposeAsync() => await browser.CloseContextsAsync();

    [Fact]
    public async Task A_limit_of_20_a_minute_holds_over_both_instances()
    {
        var (_, key) = await NewAccountAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            using var client = Client(i % 2 == 0 ? fleet.A : fleet.B, key);
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", Completion($"Distinct question {i}"), Ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }
        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(20, fleet.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task Ten_identical_requests_over_both_instances_make_one_upstream_call_and_a_retry_on_the_other_instance_joins()
    {
        var (user, key) = await NewAccountAsync();
        // The provider holds the first call until all ten have arrived (each takes its place in the shared per-minute
        // window as it comes in, which the test can see): none can come after the call ended and start another.
        var gate = fleet.Upstream.Hold("gpt-4o-mini");
        var asked = Enumerable.Range(0, 10).Select(async i =>
        {
            using var client = Client(i % 2 == 0 ? fleet.A : fleet.B, key);
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", Completion("The same question, ten times"), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return ContentOf(await response.Content.ReadAsStringAsync(Ct));
        }).ToList();
        await fleet.Upstream.WaitForChatRequestsAsync(1, Ct);
        await UntilAsync(() => RequestsCountedAsync(user), counted => counted == 10, TimeSpan.FromSeconds(30), "all ten requests arrive");
        gate.TrySetResult();
        var answers = await Task.WhenAll(asked);
        Assert.All(answers, answer => Assert.Equal(ProviderFixtures.OpenAIWholeText(), answer));
        Assert.Equal(1, fleet.Upstream.ChatRequestCount);

        // A program's retry with the same Idempotency-Key lands on the other instance while the first try still runs.
        using var first = Client(fleet.A, key);
        using var retry = Client(fleet.B, key);
        first.DefaultRequestHeaders.Add("Idempotency-Key", "fleet-retry-1");
        retry.DefaultRequestHeaders.Add("Idempotency-Key", "fleet-retry-1");
        var held = fleet.Upstream.Hold("gpt-4o-mini");
        var running = first.PostAsJsonAsync("/v1/chat/completions", Completion("Asked once, retried elsewhere"), Ct);
        await fleet.Upstream.WaitForChatRequestsAsync(2, Ct);
        var retried = retry.PostAsJsonAsync("/v1/chat/completions", Completion("Asked once, retried elsewhere"), Ct);
        await UntilAsync(() => RequestsCountedAsync(user), counted => counted == 12, TimeSpan.FromSeconds(30), "the retry arrives on B");
        held.TrySetResult(); // the first try ends only now: the retry joined it, it did not wait for it to be over
        using var joined = await retried;
        using var original = await running;
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (original.StatusCode, joined.StatusCode));
        Assert.Equal(ContentOf(await original.Content.ReadAsStringAsync(Ct)), ContentOf(await joined.Content.ReadAsStringAsync(Ct)));
        using var later = await retry.PostAsJsonAsync("/v1/chat/completions", Completion("Asked once, retried elsewhere"), Ct);
        Assert.Equal(ProviderFixtures.OpenAIWholeText(), ContentOf(await later.Content.ReadAsStringAsync(Ct))); // replayed
        Assert.Equal(2, fleet.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task A_key_revoked_on_one_instance_is_refused_by_the_other_within_a_second()
    {
        var page = await browser.NewPageAsync(fleet.A.Url);
        await page.RegisterAsync($"revoker-{Guid.NewGuid():N}@example.com", "Passw0rd!");
        await page.OpenSettingsTabAsync("API keys");
        await page.FillAsync("#personal-key-name", "fleet program");
        await page.ClickAsync("[data-testid=create-personal-key]");
        var secret = (await page.Locator("[data-testid=new-personal-key-secret]").TextContentAsync())!.Trim();
        using var onB = Client(fleet.B, secret);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/prompts", Ct)).StatusCode); // B now trusts it (for seconds)

        await page.ClickAsync("[data-testid=revoke-personal-key]");
        await page.ClickAsync("[data-testid=confirm]");
        await Expect(page.Locator("[data-testid=personal-key]")).ToContainTextAsync("revoked");
        var watch = Stopwatch.StartNew();
        while ((await onB.GetAsync("/api/prompts", Ct)).StatusCode != HttpStatusCode.Unauthorized)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), "B still accepts the key a second after A revoked it");
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"B refused the key {watch.ElapsedMilliseconds} ms after A showed it revoked");
    }

    [Fact]
    public async Task A_chat_answered_by_one_instance_is_watched_live_and_stopped_through_the_other()
    {
        fleet.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(300);
        fleet.Upstream.ChunkDelayEvery = 10; // about 21 s of answer
        // Through nginx, as people use it: the page's circuit (a WebSocket) reaches its instance through the proxy.
        var asking = await browser.NewPageAsync(fleet.ProxyUrl);
        await asking.RegisterAsync($"watcher-{Guid.NewGuid():N}@example.com", "Passw0rd!");
        await asking.GotoAsync("/chat");
        await asking.WaitForCircuitAsync();
        await asking.ChooseAsync("chat-model", "openai · gpt-4o-mini");
        await asking.FillAsync("#chat-input", "Pizza toppings — «über» across the fleet?");
        await asking.ClickAsync("[data-testid=send]");
        await Expect(asking).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/chat/[0-9a-f-]{36}$"));
        var chatPath = new Uri(asking.Url).AbsolutePath;
        await Expect(Answers(asking).Last).ToContainTextAsync(FullAnswer[..20]);
        var writer = fleet.Named(await LeaseOwnerAsync(Guid.Parse(chatPath[^36..])));

        // The same person opens the chat on the other instance (the sign-in cookie holds there too): the answer grows there.
        var watching = await asking.Context.NewPageAsync();
        await watching.GotoAsync($"{fleet.Other(writer).Url}{chatPath}");
        await watching.WaitForCircuitAsync();
        var watched = Answers(watching).Last;
        await Expect(watched).ToHaveAttributeAsync("data-status", "streaming");
        var seen = (await watched.Locator("[data-testid=message-text]").TextContentAsync())!.Length;
        await watching.WaitForFunctionAsync("""
            seen => [...document.querySelectorAll("[data-testid=message][data-sender=assistant] [data-testid=message-text]")].at(-1).textContent.length > seen + 100
            """, seen); // more of it arrives while the watcher looks

        await watched.Locator("[data-testid=stop]").ClickAsync();
        await Expect(watched).ToHaveAttributeAsync("data-status", "cancelled");
        await Expect(Answers(asking).Last).ToHaveAttributeAsync("data-status", "cancelled");
        var kept = (await Answers(asking).Last.Locator("[data-testid=message-text]").TextContentAsync())!.Trim();
        Assert.True(kept.Length < FullAnswer.Length, "stopped before the end");
    }

    [Fact]
    public async Task An_instance_killed_mid_answer_has_its_answer_settled_by_the_other_within_ten_seconds()
    {
        var (_, key) = await NewAccountAsync();
        fleet.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(200);
        fleet.Upstream.ChunkDelayEvery = 10;
        var job = await QueueAsync(key, fleet.A, "A question for an instance about to die");
        var owner = await WhenWritingAsync(job);
        var doomed = fleet.Named(owner);

        await fleet.KillAsync(doomed);
        var watch = Stopwatch.StartNew();
        var answer = (await EndedAnswerAsync(job, TimeSpan.FromSeconds(10), "the survivor settles the dead instance's answer"))!;
        TestContext.Current.TestOutputHelper?.WriteLine($"settled as {answer.Status} {watch.ElapsedMilliseconds} ms after the kill");
        // It had streamed text: kept as an incomplete answer (a provider cannot resume mid-answer), never left streaming.
        Assert.Equal(MessageStatus.Incomplete, answer.Status);
        Assert.StartsWith(answer.Content, FullAnswer, StringComparison.Ordinal);
        Assert.False(await AnyStreamingAsync(), "no message stays streaming");
    }

    [Fact]
    public async Task Restarting_one_instance_leaves_the_answer_the_other_is_writing_untouched()
    {
        var (_, key) = await NewAccountAsync();
        fleet.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(100);
        fleet.Upstream.ChunkDelayEvery = 10; // about 7 s
        var job = await QueueAsync(key, fleet.A, "A question written through a neighbour's restart");
        var owner = await WhenWritingAsync(job);
        var neighbour = fleet.Other(fleet.Named(owner));

        Fleet.Terminate(neighbour);
        await neighbour.Process!.WaitForExitAsync(Ct);
        await fleet.StartAsync(neighbour); // its start-up recovery runs while the answer is still being written

        var answer = (await EndedAnswerAsync(job, TimeSpan.FromSeconds(30), "the answer ends"))!;
        Assert.Equal((MessageStatus.Complete, FullAnswer), (answer.Status, answer.Content));
        await using var db = await DbAsync();
        var row = await db.GenerationJobs.AsNoTracking().SingleAsync(j => j.Id == job, Ct);
        Assert.Equal((JobStatus.Completed, 1), (row.Status, row.Attempts)); // written once, by the instance that began it
    }

    [Fact]
    public async Task SIGTERM_during_twenty_answers_and_five_streams_loses_none()
    {
        // Two askers: an answer handed back counts against its asker's 20 a minute again when it runs again.
        var (_, asker) = await NewAccountAsync();
        var (_, another) = await NewAccountAsync();
        var (_, streamer) = await NewAccountAsync();
        fleet.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(50);
        fleet.Upstream.ChunkDelayEvery = 12; // about 3 s each
        var jobs = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            jobs.Add(await QueueAsync(i < 10 ? asker : another, i % 2 == 0 ? fleet.A : fleet.B, $"Drain question {i}"));
        }
        var streams = Enumerable.Range(0, 5).Select(i => StreamAsync(fleet.A, streamer, $"Drain stream {i}")).ToList();
        await UntilAsync(() => RunningOnAsync(fleet.A), running => running >= 3, TimeSpan.FromSeconds(30), "A runs several answers");

        Fleet.Terminate(fleet.A);
        using (var probe = new HttpClient())
        {
            // Readiness goes false first: while A drains (still answering) it says 503, before it stops listening.
            await UntilAsync(async () => (await probe.GetAsync($"{fleet.A.Url}/health/ready", Ct)).StatusCode, status => status == HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(10), "A reports not ready once SIGTERM has reached it");
        }
        Assert.True(fleet.A.Process!.WaitForExit(TimeSpan.FromSeconds(40)), "A exits after draining");

        foreach (var text in await Task.WhenAll(streams))
        {
            Assert.Equal(FullAnswer, text); // every stream to A ran to its end, [DONE] included
        }
        foreach (var job in jobs)
        {
            var answer = (await EndedAnswerAsync(job, TimeSpan.FromSeconds(60), "every answer ends"))!;
            Assert.True(answer.Status == MessageStatus.Complete, $"{answer.Status}: {answer.ErrorCode} {answer.ErrorMessage}");
            Assert.Equal(FullAnswer, answer.Content);
        }
        await using var db = await DbAsync();
        var handedBack = await db.GenerationJobs.AsNoTracking().CountAsync(j => jobs.Contains(j.Id) && j.Attempts == 1 && j.LeaseOwner == null && j.Status == JobStatus.Completed, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"20 answers complete after A drained ({handedBack} finished in one attempt)");
    }

    [Fact]
    public async Task Nginx_spreads_programs_pins_browsers_and_passes_streams_on_as_they_come()
    {
        using var programs = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(fleet.ProxyUrl) };
        var answeredBy = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            using var response = await programs.GetAsync("/health/live", Ct);
            answeredBy.Add(response.Headers.GetValues("X-Instance").Single().Split('/')[0]);
        }
        Assert.Equal(["a", "b"], answeredBy.Order());

        var cookies = new CookieContainer();
        using var browserLike = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(fleet.ProxyUrl) };
        var pinned = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await browserLike.GetAsync("/health/live", Ct);
            pinned.Add(response.Headers.GetValues("X-Instance").Single());
        }
        Assert.Single(pinned);
        Assert.NotNull(cookies.GetCookies(new Uri(fleet.ProxyUrl))["mrp_affinity"]);

        var (_, key) = await NewAccountAsync();
        fleet.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(100);
        fleet.Upstream.ChunkDelayEvery = 10; // about 7 s
        using var streaming = Client(null, key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Completion("Streamed through nginx", stream: true)) };
        var watch = Stopwatch.StartNew();
        using var response2 = await streaming.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response2.Content.ReadAsStreamAsync(Ct));
        string? line;
        while ((line = await reader.ReadLineAsync(Ct)) is not null && !line.StartsWith("data: {", StringComparison.Ordinal))
        {
        }
        var firstWords = watch.Elapsed;
        var rest = await reader.ReadToEndAsync(Ct);
        Assert.Contains("data: [DONE]", rest, StringComparison.Ordinal);
        Assert.True(firstWords < watch.Elapsed / 3, $"the first words came after {firstWords}, the end after {watch.Elapsed}: nginx held the stream back");
    }

    // ---- helpers ----

    private static Microsoft.Playwright.ILocator Answers(Microsoft.Playwright.IPage page) => page.Locator("[data-testid=message][data-sender=assistant]");

    private static object Completion(string question, bool stream = false) => new
    {
        model = "openai/gpt-4o-mini",
        stream,
        messages = new[] { new { role = "user", content = question } },
    };

    private static string ContentOf(string body) => JsonNode.Parse(body)!["choices"]![0]!["message"]!["content"]!.GetValue<string>();

    /// <summary>A program's client for one instance (null: through nginx).</summary>
    private HttpClient Client(Fleet.Instance? instance, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(instance?.Url ?? fleet.ProxyUrl), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A new member with a personal key, made straight in the shared database.</summary>
    private async Task<(Guid UserId, string Key)> NewAccountAsync()
    {
        await using var scope = fleet.Services.CreateAsyncScope();
        var registered = await scope.ServiceProvider.GetRequiredService<AccountRegistrar>()
            .RegisterAsync($"fleet-{Guid.NewGuid():N}@example.com", "Passw0rd!", "User", Ct);
        var userId = registered.UserId ?? throw new InvalidOperationException("Registration failed.");
        var created = await fleet.Services.GetRequiredService<ApiKeyService>().CreateAsync(userId, "fleet", null, [], Ct);
        return (userId, created.Created!.Secret);
    }

    private async Task<Guid> QueueAsync(string key, Fleet.Instance instance, string question)
    {
        using var client = Client(instance, key);
        using var response = await client.PostAsJsonAsync("/api/chat/jobs", new { message = question, model = "openai/gpt-4o-mini" }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["job_id"]!.GetValue<Guid>();
    }

    /// <summary>A streamed completion read to its end: the text of its deltas, once [DONE] came.</summary>
    private async Task<string> StreamAsync(Fleet.Instance instance, string key, string question)
    {
        using var client = Client(instance, key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Completion(question, stream: true)) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("data: [DONE]", body, StringComparison.Ordinal);
        var text = new System.Text.StringBuilder();
        foreach (var data in body.Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal)))
        {
            if (JsonNode.Parse(data[6..])!["choices"]?.AsArray() is [{ } choice, ..] && choice["delta"]?["content"]?.GetValue<string>() is { } delta)
            {
                text.Append(delta);
            }
        }
        return text.ToString();
    }

    private async Task<AppDbContext> DbAsync() =>
        await fleet.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);

    /// <summary>Once the job's answer has some text: who holds its lease.</summary>
    private async Task<string> WhenWritingAsync(Guid jobId) =>
        (await UntilAsync(async () =>
        {
            await using var db = await DbAsync();
            var job = await db.GenerationJobs.AsNoTracking().SingleAsync(j => j.Id == jobId, Ct);
            var text = await db.Messages.AsNoTracking().Where(m => m.Id == job.MessageId).Select(m => m.Content).SingleAsync(Ct);
            return job.Status == JobStatus.Processing && text.Length > 0 ? job.LeaseOwner : null;
        }, owner => owner is not null, TimeSpan.FromSeconds(30), "the answer is being written"))!;

    private async Task<string> LeaseOwnerAsync(Guid sessionId)
    {
        await using var db = await DbAsync();
        return await db.GenerationJobs.AsNoTracking().Where(j => j.SessionId == sessionId && j.LeaseOwner != null).Select(j => j.LeaseOwner!).SingleAsync(Ct);
    }

    /// <summary>Requests of the user counted in the shared per-minute window so far (each is, as it arrives).</summary>
    private async Task<long> RequestsCountedAsync(Guid userId)
    {
        await using var db = await DbAsync();
        var window = $"u:{userId}:requests";
        return await db.Database.SqlQuery<long>($"SELECT total AS \"Value\" FROM rate_windows WHERE key = {window}").SingleOrDefaultAsync(Ct);
    }

    private async Task<Message?> AnswerOfAsync(Guid jobId)
    {
        await using var db = await DbAsync();
        return await db.Messages.AsNoTracking().SingleOrDefaultAsync(m => db.GenerationJobs.Any(j => j.Id == jobId && j.MessageId == m.Id), Ct);
    }

    private async Task<bool> AnyStreamingAsync()
    {
        await using var db = await DbAsync();
        return await db.Messages.AnyAsync(m => m.Status == MessageStatus.Streaming, Ct);
    }

    private async Task<int> RunningOnAsync(Fleet.Instance instance)
    {
        await using var db = await DbAsync();
        var prefix = instance.Name + "/";
        return await db.GenerationJobs.CountAsync(j => j.Status == JobStatus.Processing && j.LeaseOwner!.StartsWith(prefix), Ct);
    }

    /// <summary>Looks again until what <paramref name="look"/> returns is <paramref name="done"/>; fails past <paramref name="limit"/>.</summary>
    private static async Task<T> UntilAsync<T>(Func<Task<T>> look, Func<T, bool> done, TimeSpan limit, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var found = await look();
            if (done(found))
            {
                return found;
            }
            Assert.True(watch.Elapsed < limit, $"{what}: not within {limit}");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>The job's answer once it is no longer being written.</summary>
    private Task<Message?> EndedAnswerAsync(Guid jobId, TimeSpan limit, string what) =>
        UntilAsync(() => AnswerOfAsync(jobId), answer => answer is { Status: not MessageStatus.Streaming }, limit, what);
}
