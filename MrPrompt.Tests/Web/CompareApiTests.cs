using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// <c>/api/compare</c> (docs/contracts.md, "Compare API"): one question to several models as jobs of the queue; one
/// target failing and one slow never hold the others, partial results are readable, and results expire.
/// </summary>
public sealed class CompareApiTests(ChatJobsApp app) : IClassFixture<ChatJobsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_one_target_failing_and_one_slow_the_others_are_complete_and_readable_first_and_the_results_expire()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var slow = app.Upstream.Hold("gpt-4o");
        try
        {
            using var started = await app.PostJsonAsync("/api/compare", key,
                """{"message":"Which topping is best?","targets":["openai/gpt-4o-mini","broken/gpt-4o-mini","openai/gpt-4o"],"system":"Be brief.","temperature":0.3}""");
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            var id = (await JsonAsync(started)).GetProperty("compare_id").GetGuid();

            var partial = await WaitForAsync(key, id, c => Target(c, 0).GetProperty("status").GetString() == "completed"
                && Target(c, 1).GetProperty("status").GetString() == "failed");

            Assert.Equal("processing", partial.GetProperty("status").GetString());
            var fast = Target(partial, 0);
            Assert.Equal("openai/gpt-4o-mini", fast.GetProperty("model").GetString());
            Assert.Equal(ProviderFixtures.OpenAIStreamText(), fast.GetProperty("content").GetString());
            var usage = fast.GetProperty("usage");
            Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
            Assert.True(fast.GetProperty("latency_ms").GetInt32() >= 0);
            Assert.True(fast.GetProperty("cost").GetDecimal() > 0);
            Assert.Equal(JsonValueKind.Null, fast.GetProperty("error").ValueKind);
            var failed = Target(partial, 1);
            Assert.Equal("broken/gpt-4o-mini", failed.GetProperty("model").GetString());
            Assert.False(string.IsNullOrEmpty(failed.GetProperty("error").GetString()));
            var waiting = Target(partial, 2);
            Assert.Equal("openai/gpt-4o", waiting.GetProperty("model").GetString());
            Assert.Equal("processing", waiting.GetProperty("status").GetString());
            Assert.Equal("", waiting.GetProperty("content").GetString());
            var held = app.Upstream.Requests.Last(r => r.IsChat && r.Body!.Contains("\"gpt-4o\"", StringComparison.Ordinal)).Body!;
            Assert.Contains("Be brief.", held, StringComparison.Ordinal);
            Assert.Contains("\"temperature\":0.3", held, StringComparison.Ordinal);

            slow.SetResult();
            var done = await WaitForAsync(key, id, c => c.GetProperty("status").GetString() == "completed");
            Assert.Equal(ProviderFixtures.OpenAIStreamText(), Target(done, 2).GetProperty("content").GetString());
            Assert.True(done.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(59));

            // An hour later (moved in the row rather than waited for): gone for the caller at once, and from the database at the next sweep.
            await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
            {
                using var system = DataScope.AsSystem("test: an hour passes");
                await db.CompareRuns.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)), Ct);
            }
            using var expired = await SendAsync(key, $"/api/compare/{id}");
            Assert.Equal(HttpStatusCode.NotFound, expired.StatusCode);
            Assert.True(await app.Services.GetRequiredService<JobQueue>().DeleteExpiredComparesAsync(Ct) >= 1);
            await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
            {
                using var system = DataScope.AsSystem("test: what is left");
                Assert.False(await db.CompareRuns.AnyAsync(r => r.Id == id, Ct));
                Assert.False(await db.ChatSessions.AnyAsync(s => s.CompareRunId == id, Ct));
                Assert.False(await db.GenerationJobs.AnyAsync(j => j.CompareRunId == id, Ct));
            }
        }
        finally
        {
            slow.TrySetResult();
        }
    }

    [Theory]
    [InlineData("""{"message":"hi","targets":["openai/gpt-4o-mini"]}""", "Pick 2 to 4 models")]
    [InlineData("""{"message":"hi","targets":["openai/gpt-4o-mini","openai/gpt-4o-mini","openai/gpt-4o-mini","openai/gpt-4o-mini","openai/gpt-4o-mini"]}""", "Pick 2 to 4 models")]
    [InlineData("""{"targets":["openai/gpt-4o-mini","openai/gpt-4o"]}""", "message is required")]
    [InlineData("""{"message":"hi"}""", "targets is required")]
    [InlineData("""{"message":"hi","targets":["openai/gpt-4o-mini","nonsense"]}""", "Pick a model for every column")]
    [InlineData("""{"message":"hi","targets":["openai/gpt-4o-mini","openai/gpt-4o"],"temperature":7}""", "temperature must be from 0 to 2")]
    [InlineData("""{"message":"hi","targets":["openai/gpt-4o-mini","openai/gpt-4o"],"system":"a\u0000b"}""", "NUL character")]
    public async Task Bad_compares_are_400s_with_a_reason(string body, string reason)
    {
        var (_, key) = await app.NewApiKeyAsync();

        using var response = await app.PostJsonAsync("/api/compare", key, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, (await JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Someone_elses_compare_is_not_found()
    {
        var (_, owner) = await app.NewApiKeyAsync();
        var (_, stranger) = await app.NewApiKeyAsync();
        using var started = await app.PostJsonAsync("/api/compare", owner, """{"message":"Mine","targets":["openai/gpt-4o-mini","openai/gpt-4o-mini"]}""");
        var id = (await JsonAsync(started)).GetProperty("compare_id").GetGuid();

        using var response = await SendAsync(stranger, $"/api/compare/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static JsonElement Target(JsonElement compare, int index) => compare.GetProperty("targets")[index];

    /// <summary>Reads the compare until <paramref name="condition"/> holds (the worker writes it in the background).</summary>
    private async Task<JsonElement> WaitForAsync(string key, Guid id, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await SendAsync(key, $"/api/compare/{id}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var compare = await JsonAsync(response);
            if (condition(compare))
            {
                return compare;
            }
            Assert.True(DateTime.UtcNow < deadline, $"The compare never reached the expected state: {compare}");
            await Task.Delay(50, Ct);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string key, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await app.CreateClient().SendAsync(request, Ct);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
}
