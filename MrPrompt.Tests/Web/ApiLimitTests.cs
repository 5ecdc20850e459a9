using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>The app with <c>CHAT_RATE_LIMIT_PER_MIN</c> (docs/contracts.md, "Environment variables") set to 60.</summary>
public sealed class RateLimitedApp(PostgresServer server) : ApiGatewayApp(server)
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["CHAT_RATE_LIMIT_PER_MIN"] = "60";
    }
}

/// <summary>Limits and budgets as programs meet them: 429 with Retry-After, in each endpoint's error format.</summary>
public sealed class ApiLimitTests(RateLimitedApp app) : IClassFixture<RateLimitedApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Six_hundred_requests_against_sixty_a_minute_let_sixty_through_and_leave_other_users_alone()
    {
        var (_, key) = await app.NewApiKeyAsync();
        var (_, otherKey) = await app.NewApiKeyAsync();
        var statuses = new List<(HttpStatusCode Status, string? RetryAfter)>();
        for (var batch = 0; batch < 12; batch++)
        {
            // Distinct questions, so in-flight sharing does not merge them.
            statuses.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(i => AskAsync(key, $"question {batch}-{i}"))));
        }
        var other = await AskAsync(otherKey, "unaffected");

        Assert.Equal(600, statuses.Count);
        Assert.Equal(60, statuses.Count(s => s.Status == HttpStatusCode.OK));
        Assert.All(statuses.Where(s => s.Status != HttpStatusCode.OK), s =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, s.Status);
            Assert.InRange(int.Parse(s.RetryAfter!, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        });
        Assert.Equal(HttpStatusCode.OK, other.Status);
    }

    [Fact]
    public async Task Identical_requests_at_once_count_each_even_when_they_share_one_call()
    {
        var (_, key) = await app.NewApiKeyAsync();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 120).Select(_ => AskAsync(key, "the very same question")));

        Assert.Equal(60, statuses.Count(s => s.Status == HttpStatusCode.OK));
        Assert.Equal(60, statuses.Count(s => s.Status == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Answers_from_the_cache_count_against_the_minute_too()
    {
        var (_, key) = await app.NewApiKeyAsync();
        const string body = """{"action":"complete","payload":{"prompt_key":"echo-test","variables":{"message":"cache me"},"options":{"model":"echo/echo","cache_ttl":600}}}""";
        var statuses = new List<HttpStatusCode>();
        var cached = 0;

        for (var i = 0; i < 65; i++)
        {
            using var response = await app.PostJsonAsync("/api/gateway", key, body);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.OK && JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("data").GetProperty("cached").GetBoolean())
            {
                cached++;
            }
        }

        Assert.Equal(60, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(59, cached); // all but the first came from the cache, and each counted
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task An_exhausted_budget_is_a_429_that_says_so_in_the_gateway_format()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.MonthlyBudgetUsd, 0m), Ct);
        }
        var before = app.Upstream.ChatRequestCount;

        using var response = await app.PostJsonAsync("/api/gateway", key, """{"action":"stream","payload":{"prompt_key":"echo-test","variables":{"message":"hi"}}}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        Assert.Equal("budget_exhausted", error.GetProperty("code").GetString());
        Assert.Contains("monthly budget of $0.00", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, app.Upstream.ChatRequestCount);
    }

    private async Task<(HttpStatusCode Status, string? RetryAfter)> AskAsync(string key, string question)
    {
        using var response = await app.PostJsonAsync("/v1/chat/completions", key, $$"""{"model":"echo/echo","messages":[{"role":"user","content":"{{question}}"}]}""");
        return (response.StatusCode, response.Headers.TryGetValues("Retry-After", out var values) ? values.Single() : null);
    }
}
