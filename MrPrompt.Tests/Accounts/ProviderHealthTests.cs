using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Accounts;

/// <summary>Provider health from usage rows on real Postgres, and "test now" through the real gateway to the fake upstream.</summary>
public sealed class ProviderHealthTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProviderHealth Health => fixture.Services.GetRequiredService<ProviderHealth>();

    [Fact]
    public async Task The_last_hour_and_day_show_success_rate_p95_latency_and_the_last_error()
    {
        var now = DateTimeOffset.UtcNow;
        var rows = new List<UsageRecord>();
        for (var i = 1; i <= 8; i++)
        {
            rows.Add(Row("private", UsageStatus.Success, now.AddMinutes(-i), latencyMs: i * 100));
        }
        rows.Add(Row("private", UsageStatus.Error, now.AddMinutes(-30), error: "timeout"));
        rows.Add(Row("private", UsageStatus.Error, now.AddMinutes(-5), error: "provider_unavailable"));
        for (var i = 0; i < 10; i++)
        {
            rows.Add(Row("private", UsageStatus.Success, now.AddHours(-3), latencyMs: 1000));
        }
        rows.Add(Row("private", UsageStatus.Error, now.AddDays(-2), error: "old"));                    // older than a day
        rows.Add(Row("private", UsageStatus.Error, now.AddMinutes(-1), error: "missing_credential", attempt: 0)); // refused before any call
        rows.Add(Row("private", UsageStatus.Cancelled, now.AddMinutes(-1)));                           // the caller stopped it
        await using (var db = await fixture.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            db.UsageRecords.AddRange(rows);
            await db.SaveChangesAsync(Ct);
        }

        // "private" is configured but never called by the other tests here.
        var health = (await Health.ReportAsync(TestUsers.AsAdmin(fixture.UserId), Ct)).Single(p => p.Provider == "private");

        Assert.Equal(new HealthWindow(10, 0.8, 765), health.LastHour);
        Assert.Equal(new HealthWindow(20, 0.9, 1000), health.LastDay);
        Assert.Equal("provider_unavailable", health.LastErrorCode);
        Assert.Equal(CircuitState.Closed, health.Circuit);
    }

    [Fact]
    public async Task Test_now_makes_a_minimal_call_and_says_what_happened()
    {
        fixture.Upstream.Reset();
        var ok = await Health.TestAsync(TestUsers.AsAdmin(fixture.UserId), "anthropic", Ct);
        fixture.Upstream.Enqueue(Fault.Status(529), Fault.Status(529), Fault.Status(529));
        var down = await Health.TestAsync(TestUsers.AsAdmin(fixture.UserId), "anthropic", Ct);
        var unknown = await Health.TestAsync(TestUsers.AsAdmin(fixture.UserId), "nowhere", Ct);

        Assert.True(ok.Succeeded, ok.Message);
        Assert.Contains("answered", ok.Message, StringComparison.Ordinal);
        Assert.False(down.Succeeded);
        Assert.Contains("not answering", down.Message, StringComparison.Ordinal);
        Assert.False(unknown.Succeeded);
    }

    private UsageRecord Row(string provider, UsageStatus status, DateTimeOffset at, int latencyMs = 50, string? error = null, int attempt = 1) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = fixture.UserId,
        Provider = provider,
        Model = "claude-3-opus-latest",
        Source = UsageSource.Ui,
        Status = status,
        Attempt = attempt,
        LatencyMs = latencyMs,
        ErrorCode = error,
        TraceId = Guid.NewGuid().ToString("N"),
        ExecutedAt = at,
    };
}
