using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway.Reuse;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// What programs get on top of the gateway, counted at the fake upstream: identical concurrent
/// requests share one call, cached answers and idempotent replays call nobody, and a client that
/// leaves a stream stops the upstream call.
/// </summary>
public sealed class CallSharingTests(ApiGatewayApp app) : IClassFixture<ApiGatewayApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fifty_identical_concurrent_requests_make_one_upstream_call()
    {
        var (_, key) = await app.NewApiKeyAsync();
        app.Upstream.Enqueue(Fault.SlowFirstByte(TimeSpan.FromMilliseconds(800))); // keeps the first call in flight while the rest arrive
        var before = app.Upstream.ChatRequestCount;
        const string body = """{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Same question"}]}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => SendAsync("/v1/chat/completions", key, body)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Single(responses.Select(r => ContentOf(r.Body)).Distinct());
        Assert.Equal(ProviderFixtures.OpenAIWholeText(), ContentOf(responses[0].Body));
        Assert.Equal(1, app.Upstream.ChatRequestCount - before);
    }

    [Fact]
    public async Task A_cached_answer_is_served_without_an_upstream_call_and_never_to_another_user()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var (_, otherKey) = await app.NewApiKeyAsync();
        var body = """{"action":"complete","payload":{"prompt_key":"echo-test","variables":{"message":"cache me MARK"},"options":{"cache_ttl":60}}}""".Replace("MARK", Guid.NewGuid().ToString(), StringComparison.Ordinal);
        var before = app.Upstream.ChatRequestCount;

        var first = await SendAsync("/api/gateway", key, body);
        var second = await SendAsync("/api/gateway", key, body);
        var callsAfterHit = app.Upstream.ChatRequestCount - before;
        var otherUser = await SendAsync("/api/gateway", otherKey, body);

        var firstData = Data(first.Body);
        var secondData = Data(second.Body);
        Assert.False(firstData.GetProperty("cached").GetBoolean());
        Assert.True(secondData.GetProperty("cached").GetBoolean());
        Assert.Equal(firstData.GetProperty("content").GetString(), secondData.GetProperty("content").GetString());
        Assert.Equal(firstData.GetProperty("cache_key").GetString(), secondData.GetProperty("cache_key").GetString());
        Assert.Equal(1, callsAfterHit);
        Assert.False(Data(otherUser.Body).GetProperty("cached").GetBoolean());
        Assert.Equal(2, app.Upstream.ChatRequestCount - before);
        var hit = Assert.Single(await app.UsageRowsAsync(second.TraceId, 1));
        Assert.Equal(UsageStatus.CacheHit, hit.Status);
        Assert.Equal(0m, hit.CostUsd);
    }

    [Fact]
    public async Task A_repeated_idempotency_key_replays_and_a_different_body_with_it_is_refused()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var idempotencyKey = Guid.NewGuid().ToString();
        const string body = """{"action":"complete","payload":{"prompt_key":"echo-test","variables":{"message":"pay once"}}}""";
        var before = app.Upstream.ChatRequestCount;

        var first = await SendAsync("/api/gateway", key, body, idempotencyKey);
        var replay = await SendAsync("/api/gateway", key, body, idempotencyKey);
        var bodyKey = await SendAsync("/api/gateway", key, body.Replace("{\"action\"", $"{{\"idempotency_key\":\"{idempotencyKey}\",\"action\"", StringComparison.Ordinal));
        var different = await SendAsync("/api/gateway", key, body.Replace("pay once", "pay twice", StringComparison.Ordinal), idempotencyKey);

        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.Equal(Data(first.Body).GetProperty("content").GetString(), Data(replay.Body).GetProperty("content").GetString());
        Assert.Equal(HttpStatusCode.OK, bodyKey.Status);
        Assert.Equal((HttpStatusCode)422, different.Status);
        Assert.Contains("different request", different.Body, StringComparison.Ordinal);
        Assert.Equal(1, app.Upstream.ChatRequestCount - before);
    }

    [Fact]
    public async Task A_key_left_unfinished_by_a_call_that_died_is_taken_over_after_its_lease()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            // As a process that crashed mid-call two hours ago would have left it.
            db.IdempotencyRecords.Add(new IdempotencyRecord
            {
                UserId = userId, Key = "crashed", RequestHash = "whatever", CreatedAt = DateTimeOffset.UtcNow - IdempotencyStore.InProgressLease - TimeSpan.FromMinutes(1),
            });
            await db.SaveChangesAsync(Ct);
        }

        var retry = await SendAsync("/api/gateway", key, """{"action":"complete","payload":{"prompt_key":"echo-test","variables":{"message":"retry"}}}""", "crashed");

        Assert.Equal(HttpStatusCode.OK, retry.Status);
    }

    [Fact]
    public async Task A_repeat_while_the_first_still_streams_attaches_to_the_same_stream()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var idempotencyKey = Guid.NewGuid().ToString();
        app.Upstream.Enqueue(Fault.SlowFirstByte(TimeSpan.FromMilliseconds(800)));
        const string body = """{"action":"stream","payload":{"prompt_key":"echo-test","variables":{"message":"attach"}}}""";
        var before = app.Upstream.ChatRequestCount;

        var first = SendAsync("/api/gateway", key, body, idempotencyKey);
        await app.Upstream.WaitForChatRequestsAsync(before + 1, Ct); // the first has claimed the key and waits for its first token
        var second = await SendAsync("/api/gateway", key, body, idempotencyKey);
        var firstDone = SseFrame.Parse((await first).Body)[^1];

        var secondDone = SseFrame.Parse(second.Body)[^1];
        Assert.Equal("chat.done", secondDone.Event);
        Assert.Equal(firstDone.Json.GetProperty("content").GetString(), secondDone.Json.GetProperty("content").GetString());
        Assert.Equal(1, app.Upstream.ChatRequestCount - before);
    }

    [Fact]
    public async Task A_client_leaving_a_stream_cancels_the_upstream_call_within_two_seconds_and_its_usage_is_logged()
    {
        var (_, key) = await app.NewApiKeyAsync();
        app.Upstream.Reset();
        app.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(20);
        try
        {
            var response = await app.PostJsonAsync("/v1/chat/completions", key,
                """{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"A long answer"}]}""", completion: HttpCompletionOption.ResponseHeadersRead);
            var traceId = response.Headers.GetValues("X-Trace-Id").Single();
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            for (var frames = 0; frames < 5;)
            {
                frames += (await reader.ReadLineAsync(Ct))?.StartsWith("data: ", StringComparison.Ordinal) == true ? 1 : 0;
            }

            var left = Stopwatch.StartNew();
            response.Dispose();
            var upstreamSawIt = await app.Upstream.ClientDisconnected.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

            Assert.True(left.Elapsed < TimeSpan.FromSeconds(2), $"upstream still streaming {left.Elapsed} after the client left");
            var row = Assert.Single(await app.UsageRowsAsync(traceId, 1));
            Assert.Equal(UsageStatus.Cancelled, row.Status);
            Assert.True(row.OutputTokens > 0);
            Assert.NotEqual(default, upstreamSawIt);
        }
        finally
        {
            app.Upstream.ChunkDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task Housekeeping_removes_expired_answers_and_idempotency_keys_only()
    {
        var (userId, _) = await app.NewApiKeyAsync();
        var cache = app.Services.GetRequiredService<ResponseCache>();
        var now = DateTimeOffset.UtcNow;
        await cache.StoreAsync(Entry(userId, "expired", now.AddHours(-2), now.AddMinutes(-1)), Ct);
        await cache.StoreAsync(Entry(userId, "fresh", now, now.AddHours(1)), Ct);
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            db.IdempotencyRecords.AddRange(
                new IdempotencyRecord { UserId = userId, Key = "old", RequestHash = "h", CreatedAt = now.AddHours(-25) },
                new IdempotencyRecord { UserId = userId, Key = "new", RequestHash = "h", CreatedAt = now });
            await db.SaveChangesAsync(Ct);
        }

        await app.Services.GetRequiredService<ReuseHousekeeping>().CleanOnceAsync(Ct);

        await using var check = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        Assert.Equal(["fresh"], await check.CachedResponses.Where(c => c.UserId == userId).Select(c => c.PromptKey).ToListAsync(Ct));
        Assert.Equal(["new"], await check.IdempotencyRecords.Where(r => r.UserId == userId).Select(r => r.Key).ToListAsync(Ct));
        Assert.Null(await cache.FindAsync(RequestFingerprint.Hash("expired" + userId), Ct));
    }

    private static CachedResponse Entry(Guid userId, string name, DateTimeOffset created, DateTimeOffset expires) => new()
    {
        Id = Guid.CreateVersion7(),
        CacheKey = RequestFingerprint.Hash(name + userId),
        PromptKey = name,
        UserId = userId,
        RequestHash = "h",
        ResponseContent = name,
        Model = "openai/gpt-4o-mini",
        CreatedAt = created,
        ExpiresAt = expires,
    };

    private sealed record Reply(HttpStatusCode Status, string Body, string TraceId);

    private async Task<Reply> SendAsync(string path, string key, string body, string? idempotencyKey = null)
    {
        using var response = await app.PostJsonAsync(path, key, body, idempotencyKey);
        return new Reply(response.StatusCode, await response.Content.ReadAsStringAsync(Ct), response.Headers.GetValues("X-Trace-Id").Single());
    }

    private static string? ContentOf(string completion) =>
        JsonDocument.Parse(completion).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

    private static JsonElement Data(string body) => JsonDocument.Parse(body).RootElement.GetProperty("data").Clone();
}
