using MrPrompt.Infrastructure.Persistence;
using Npgsql;

namespace MrPrompt.Infrastructure.Cluster;

/// <summary>
/// Housekeeping that must run once across the fleet, not once per instance (the retention sweep, cache and idempotency
/// cleanup, compare expiry): every instance asks on its own timer, and only the one that moves the task's
/// <c>scheduled_tasks.next_run_at</c> on by a period is told to run it. A task whose runner dies mid-run waits one period.
/// </summary>
public sealed class FleetSchedule(DatabaseConnection database, InstanceIdentity instance, TimeProvider clock)
{
    /// <summary>True for exactly one instance per <paramref name="period"/> of <paramref name="task"/>: that one runs it now.</summary>
    public async Task<bool> TryClaimAsync(string task, TimeSpan period, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        // A little short of the period: the timers of the instance that ran it last tick at the period too, and must find it due.
        await using var claim = new NpgsqlCommand("""
            INSERT INTO scheduled_tasks AS t (name, next_run_at, last_run_by, last_run_at) VALUES ($1, $2 + $3, $4, $2)
            ON CONFLICT (name) DO UPDATE SET next_run_at = excluded.next_run_at, last_run_by = excluded.last_run_by, last_run_at = excluded.last_run_at
            WHERE t.next_run_at <= $2
            """, connection)
        {
            Parameters =
            {
                new() { Value = task }, new() { Value = now }, new() { Value = period * 0.9 }, new() { Value = instance.Name },
            },
        };
        return await claim.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
