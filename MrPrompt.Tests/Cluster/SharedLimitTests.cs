using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.Cluster;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Cluster;

/// <summary>
/// Limits and budgets held by two instances on one database (A is the fixture's services, B a second set on the same
/// database, both on the fixture's clock): what one takes, the other sees.
/// </summary>
public sealed class SharedLimitTests(PostgresServer server) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TestDatabase _a = new(server);
    private ServiceProvider _b = null!;

    public async ValueTask InitializeAsync()
    {
        await _a.InitializeAsync();
        _b = TestDatabase.BuildServices(_a.ConnectionString, _a.Clock);
    }

    public async ValueTask DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    private static readonly CallerAllowance TwentyAMinute = new("User", RequestsPerMinute: 20, TokensPerMinute: 1_000_000, MonthlyBudgetUsd: null);

    [Fact]
    public async Task Forty_requests_at_once_over_two_instances_get_twenty_places_and_the_window_frees_them_a_minute_later()
    {
        var user = Guid.NewGuid();
        var instances = new[] { _a.Services.GetRequiredService<CallRateLimits>(), _b.GetRequiredService<CallRateLimits>() };
        var refusals = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            instances[i % 2].TryAdmitAsync(user, null, TwentyAMinute, null, null, Ct)));
        Assert.Equal(20, refusals.Count(r => r is null));
        var refused = refusals.First(r => r is not null)!;
        Assert.Contains("20 requests per minute", refused.Message, StringComparison.Ordinal);
        Assert.InRange(refused.RetryAfter!.Value, TimeSpan.FromSeconds(59), TimeSpan.FromSeconds(60));

        _a.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.NotNull(await instances[1].TryAdmitAsync(user, null, TwentyAMinute, null, null, Ct)); // still within the minute
        _a.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await instances[1].TryAdmitAsync(user, null, TwentyAMinute, null, null, Ct));
    }

    [Fact]
    public async Task A_keys_place_is_not_taken_when_its_user_has_none_left()
    {
        var user = Guid.NewGuid();
        var key = Guid.NewGuid();
        var rates = _a.Services.GetRequiredService<CallRateLimits>();
        var oneAMinute = TwentyAMinute with { RequestsPerMinute = 1 };
        Assert.Null(await rates.TryAdmitAsync(user, null, oneAMinute, 5, null, Ct));
        Assert.NotNull(await rates.TryAdmitAsync(user, key, oneAMinute, 5, null, Ct)); // the user's limit refuses
        for (var i = 0; i < 5; i++)
        {
            // The key's five are all still there for another of its users' windows: nothing was taken by the refusals.
            Assert.Null(await rates.TryAdmitAsync(Guid.NewGuid(), key, TwentyAMinute, 5, null, Ct));
        }
        Assert.NotNull(await rates.TryAdmitAsync(Guid.NewGuid(), key, TwentyAMinute, 5, null, Ct));
    }

    [Fact]
    public async Task Reservations_made_at_once_on_two_instances_never_overspend_the_budget()
    {
        var user = await TestUsers.RegisterAsync(_a.Services);
        var ledgers = new[] { _a.Services.GetRequiredService<BudgetLedger>(), _b.GetRequiredService<BudgetLedger>() };
        var reserved = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => ledgers[i % 2].TryReserveAsync(user, 1.00m, 0.10m, Ct)));
        var held = reserved.Where(r => r.Reservation is not null).Select(r => r.Reservation!).ToList();
        Assert.Equal(10, held.Count);

        // Settled on what they really cost (less than reserved): the room left is seen by the other instance.
        var counters = _a.Services.GetRequiredService<CallerCounters>();
        foreach (var reservation in held)
        {
            await counters.RunAsync(new DataActor(user, null), [ledgers[0].Settle(user, reservation, 0.05m)!], Ct);
        }
        var (again, spent) = await ledgers[1].TryReserveAsync(user, 1.00m, 0.50m, Ct);
        Assert.Equal(0.50m, spent);
        Assert.NotNull(again);
        Assert.Null((await ledgers[0].TryReserveAsync(user, 1.00m, 0.01m, Ct)).Reservation);
    }

    [Fact]
    public async Task An_instance_that_stopped_heartbeating_has_its_reservations_let_go()
    {
        var user = await TestUsers.RegisterAsync(_a.Services);
        var ledger = _b.GetRequiredService<BudgetLedger>();
        var queue = _a.Services.GetRequiredService<MrPrompt.Infrastructure.Jobs.JobQueue>();
        // A is alive (its heartbeat is current); B, whose reservation this is, never was.
        await queue.HeartbeatAsync(_a.Services.GetRequiredService<InstanceIdentity>().Name, _a.Clock.GetUtcNow(), 0, Ct);
        var (stuck, _) = await ledger.TryReserveAsync(user, 1.00m, 0.90m, Ct);
        Assert.NotNull(stuck);
        Assert.Null((await ledger.TryReserveAsync(user, 1.00m, 0.20m, Ct)).Reservation);

        var released = await _a.Services.GetRequiredService<BudgetLedger>().ReleaseAbandonedAsync(TimeSpan.FromSeconds(50), Ct);
        Assert.True(released >= 1);
        Assert.NotNull((await ledger.TryReserveAsync(user, 1.00m, 0.20m, Ct)).Reservation);
    }
}
