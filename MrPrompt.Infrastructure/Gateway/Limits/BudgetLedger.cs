using Microsoft.EntityFrameworkCore;
using MrPrompt.Infrastructure.Cluster;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using Npgsql;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>
/// Monthly spend per user against their budget, shared by every instance on the database (<c>budget_months</c>,
/// <c>budget_reservations</c>). A call reserves its estimated maximum cost before it starts and settles on what it really
/// cost; as reservations count as spent, concurrent calls on any instances cannot together overspend (only a call costing
/// more than its estimate can, and only by that difference). The month's spend is read from the usage log once, then kept
/// up to date by every call's settlement. Reservations name their instance: a dead instance's are let go
/// (<see cref="ReleaseAbandonedAsync"/>).
/// </summary>
public sealed class BudgetLedger(
    CallerCounters counters, IDbContextFactory<AppDbContext> contexts, InstanceIdentity instance, TimeProvider clock,
    Microsoft.Extensions.Options.IOptionsMonitor<LimitOptions> options)
{
    /// <summary>A reservation to settle once the call's real cost is known (<see cref="Settle"/>).</summary>
    public sealed record Reservation(Guid Id, DateTimeOffset Month);

    /// <summary>Reserves <paramref name="estimate"/>; null with what was spent when it does not fit under <paramref name="budget"/>.</summary>
    public async Task<(Reservation? Reservation, decimal Spent)> TryReserveAsync(Guid userId, decimal budget, decimal estimate, CancellationToken cancellationToken)
    {
        var month = MonthOf(clock.GetUtcNow());
        var id = Guid.CreateVersion7();
        decimal? loaded = null;
        for (var attempt = 0; ; attempt++)
        {
            await using (var connection = await counters.OpenAsync(cancellationToken))
            {
                var reserve = CallerCounters.Command("SELECT known, reserved, spent FROM mrprompt_budget_reserve($1, $2, $3, $4, $5, $6, $7)",
                    userId, month, budget, estimate, id, instance.Name, clock.GetUtcNow());
                // A month just read from the usage log is kept first, in the same round trip (unless another call got there first).
                await using var batch = loaded is { } spentBefore
                    ? CallerCounters.Batch(connection, new DataActor(userId, null),
                        CallerCounters.Command("SELECT mrprompt_budget_load($1, $2, $3)", userId, month, spentBefore), reserve)
                    : CallerCounters.Batch(connection, new DataActor(userId, null), reserve);
                await using var reader = await CallerCounters.ReadLastAsync(batch, cancellationToken);
                await reader.ReadAsync(cancellationToken);
                if (reader.GetBoolean(0))
                {
                    return (reader.GetBoolean(1) ? new Reservation(id, month) : null, reader.GetDecimal(2));
                }
            }
            if (attempt > 0)
            {
                throw new InvalidOperationException("The month's spend could not be kept in budget_months.");
            }
            // Read with no counters' connection held: a month's usage can take a while to sum.
            loaded = await SpentFromUsageAsync(userId, month, cancellationToken);
        }
    }

    /// <summary>
    /// What settles a call on its real cost, to send with the call's other settlement (<see cref="CallAdmission.Ticket"/>), in the
    /// caller's scope: its reservation let go and the cost added to the month; without a reservation (background work, or a
    /// caller with no cap) the cost is added to a month being kept, so its total stays true (a month not kept yet reads it from
    /// the usage log when it first is). Null when there is nothing to settle.
    /// </summary>
    public NpgsqlBatchCommand? Settle(Guid userId, Reservation? reservation, decimal cost)
    {
        if (reservation is null && cost <= 0)
        {
            return null;
        }
        var command = CallerCounters.Command("SELECT mrprompt_budget_settle($1, $2, $3, $4)",
            (object?)reservation?.Id ?? DBNull.Value, userId, reservation?.Month ?? MonthOf(clock.GetUtcNow()), cost);
        command.Parameters[0].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid;
        return command;
    }

    /// <summary>When the current budget month ends (UTC), for Retry-After and the message.</summary>
    public DateTimeOffset RenewsAt() => MonthOf(clock.GetUtcNow()).AddMonths(1);

    /// <summary>
    /// Lets go of reservations no live instance will settle: made by an instance not seen for <paramref name="silentFor"/>
    /// (its heartbeat in <c>job_workers</c>), or older than any call lasts; and forgets months that are over.
    /// </summary>
    public async Task<int> ReleaseAbandonedAsync(TimeSpan silentFor, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await counters.OpenAsync(cancellationToken);
        await using var release = CallerCounters.Batch(connection, new DataActor(null, "budget reservations of instances gone"), CallerCounters.Command("""
            DELETE FROM budget_reservations r
            WHERE r.created_at < $2
               OR NOT EXISTS (SELECT 1 FROM job_workers w WHERE w.name = r.instance AND w.last_seen_at >= $1)
            """, now - silentFor, now - TimeSpan.FromHours(1)),
            CallerCounters.Command("DELETE FROM budget_months WHERE month < $1", MonthOf(now)));
        return await release.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The month's spend from the usage log.</summary>
    private async Task<decimal> SpentFromUsageAsync(Guid userId, DateTimeOffset month, CancellationToken cancellationToken)
    {
        // Summed across the account's rows whoever asks: never dependent on that caller's scope.
        using var system = DataScope.AsSystem("month's spend of one account");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = db.UsageRecords.Where(u => u.UserId == userId && u.ExecutedAt >= month);
        var spent = await rows.Where(u => u.CostUsd != null).SumAsync(u => u.CostUsd!.Value, cancellationToken);
        // Calls of models with no known price count at the fallback price, as they did when they settled.
        if (options.CurrentValue.UnknownModelPrice is { } fallback)
        {
            spent += fallback.CostOf(await rows.Where(u => u.CostUsd == null).SumAsync(u => (long)u.InputTokens + u.OutputTokens, cancellationToken), 0);
        }
        return spent;
    }

    private static DateTimeOffset MonthOf(DateTimeOffset now) => new(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
}
