using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Cluster;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using Npgsql;

namespace MrPrompt.Infrastructure.Gateway.Reuse;

/// <summary>What a finished shared call answered, as followers on other instances replay it.</summary>
public sealed record FleetCallAnswer(string Text, string Model, int InputTokens, int OutputTokens, string? FinishReason);

/// <summary>
/// Identical calls across the fleet (<c>shared_calls</c>): <see cref="InFlightCalls"/> makes the requests of one instance share a
/// call; this makes the instances share it. The instance that claims the key's row calls the provider and writes the answer
/// into the row (NOTIFY on <see cref="Channel"/>); the others wait for it and replay the answer whole. A call that fails
/// leaves no answer, and one whose instance dies (or cannot write its end) stops renewing its lease: a waiter then claims
/// the row and calls itself.
/// </summary>
public sealed class FleetCalls(CallerCounters counters, InstanceIdentity instance, IOptions<JobOptions> jobs, TimeProvider clock)
{
    public const string Channel = "mrprompt_calls";

    /// <summary>How often a waiter looks at the row should a notification not come.</summary>
    private static readonly TimeSpan LookAgain = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);

    /// <summary>The rows whose calls run here: their leases are renewed with the jobs' (<see cref="RenewAsync"/>).</summary>
    private readonly ConcurrentDictionary<string, bool> _running = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="call"/> unless another instance is running the same (<paramref name="key"/>): then waits for its
    /// answer and replays it through <paramref name="replay"/>. Failures of the call are this caller's own.
    /// </summary>
    public async IAsyncEnumerable<GatewayEvent> RunOnceAsync(
        string key, Guid userId, Func<CancellationToken, IAsyncEnumerable<GatewayEvent>> call, Func<FleetCallAnswer, IAsyncEnumerable<GatewayEvent>> replay,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var row = RowKey(key);
        while (true)
        {
            if (await TryClaimAsync(row, userId, cancellationToken))
            {
                FleetCallAnswer? answer = null;
                try
                {
                    await foreach (var item in call(cancellationToken))
                    {
                        if (item is GatewayCompleted { Result: var result })
                        {
                            answer = new FleetCallAnswer(result.Text, $"{result.Provider}/{result.Model}", result.InputTokens, result.OutputTokens, result.FinishReason);
                        }
                        yield return item;
                    }
                }
                finally
                {
                    try
                    {
                        await FinishAsync(row, userId, answer);
                    }
                    finally
                    {
                        _running.TryRemove(row, out _); // written or not, its lease now runs out
                    }
                }
                yield break;
            }
            if (await WaitAsync(row, userId, cancellationToken) is { } answered)
            {
                await foreach (var item in replay(answered).WithCancellation(cancellationToken))
                {
                    yield return item;
                }
                yield break;
            }
            // Released without an answer, or its instance is gone: claim it (or follow whoever did first).
        }
    }

    /// <summary>
    /// The answer of the call another instance is running under <paramref name="key"/>, once it has one, replayed; null
    /// when no instance runs it (or it ended without an answer).
    /// </summary>
    public async Task<FleetCallAnswer?> FollowAsync(string key, Guid userId, CancellationToken cancellationToken) =>
        await WaitAsync(RowKey(key), userId, cancellationToken);

    /// <summary>A notification: the call under <paramref name="row"/> ended; whoever waits here looks at it.</summary>
    public void Ended(string row)
    {
        if (_waiting.TryRemove(row, out var waiters))
        {
            waiters.TrySetResult();
        }
    }

    private async Task<bool> TryClaimAsync(string row, Guid userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await counters.OpenAsync(cancellationToken);
        await using var claim = CallerCounters.Batch(connection, new DataActor(userId, null), CallerCounters.Command("""
            INSERT INTO shared_calls AS c (key, user_id, instance, started_at, expires_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (key) DO UPDATE
                SET instance = excluded.instance, started_at = excluded.started_at, expires_at = excluded.expires_at, finished_at = NULL, outcome = NULL
            WHERE c.finished_at IS NOT NULL OR c.expires_at < $4
            """, row, userId, instance.Name, now, now + Lease));
        await claim.ExecuteNonQueryAsync(cancellationToken);
        if (claim.BatchCommands[1].RecordsAffected != 1)
        {
            return false;
        }
        _running[row] = true;
        return true;
    }

    /// <summary>Renews the leases of the calls running here (with the queue's, every third of a lease).</summary>
    public async Task RenewAsync(CancellationToken cancellationToken = default)
    {
        var rows = _running.Keys.ToArray();
        if (rows.Length == 0)
        {
            return;
        }
        await using var connection = await counters.OpenAsync(cancellationToken);
        await using var renew = CallerCounters.Batch(connection, new DataActor(null, "renewing shared calls"), CallerCounters.Command(
            "UPDATE shared_calls SET expires_at = $1 WHERE key = ANY($2) AND instance = $3 AND finished_at IS NULL", clock.GetUtcNow() + Lease, rows, instance.Name));
        await renew.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Writes the answer for the waiters (or frees the row when there is none) and tells them; tried three times.</summary>
    private async Task FinishAsync(string row, Guid userId, FleetCallAnswer? answer)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await TryFinishAsync(row, userId, answer);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && attempt < 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), clock);
            }
        }
    }

    private async Task TryFinishAsync(string row, Guid userId, FleetCallAnswer? answer)
    {
        await using var connection = await counters.OpenAsync(CancellationToken.None);
        await using var finish = CallerCounters.Batch(connection, new DataActor(userId, null),
            answer is null
                ? CallerCounters.Command("DELETE FROM shared_calls WHERE key = $1 AND instance = $2", row, instance.Name)
                : CallerCounters.Command("UPDATE shared_calls SET finished_at = $3, outcome = $4::jsonb WHERE key = $1 AND instance = $2",
                    row, instance.Name, clock.GetUtcNow(), JsonSerializer.Serialize(answer)),
            CallerCounters.Command("SELECT pg_notify($1, $2)", Channel, row));
        await finish.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>Waits for the running call's answer; null when nobody runs it any more without one.</summary>
    private async Task<FleetCallAnswer?> WaitAsync(string row, Guid userId, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Registered before looking, so an end between the look and the wait is not missed.
            var ended = _waiting.GetOrAdd(row, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            var now = clock.GetUtcNow();
            await using (var connection = await counters.OpenAsync(cancellationToken))
            {
                await using var look = CallerCounters.Batch(connection, new DataActor(userId, null), CallerCounters.Command(
                    "SELECT c.outcome::text, c.finished_at IS NOT NULL, c.expires_at < $2 FROM shared_calls c WHERE c.key = $1", row, now));
                await using var reader = await CallerCounters.ReadLastAsync(look, cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return null;
                }
                if (!reader.IsDBNull(0))
                {
                    return JsonSerializer.Deserialize<FleetCallAnswer>(reader.GetString(0));
                }
                if (reader.GetBoolean(1) || reader.GetBoolean(2))
                {
                    return null;
                }
            }
            await ended.Task.WaitAsync(LookAgain, clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Forgets calls that ended a minute ago (their waiters have read them) and leases a minute out of date.</summary>
    public async Task<int> DeleteEndedAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await counters.OpenAsync(cancellationToken);
        await using var delete = CallerCounters.Batch(connection, new DataActor(null, "shared calls that ended"),
            CallerCounters.Command("DELETE FROM shared_calls WHERE finished_at < $1 OR expires_at < $1", now - TimeSpan.FromMinutes(1)));
        await delete.ExecuteNonQueryAsync(cancellationToken);
        return delete.BatchCommands[1].RecordsAffected;
    }

    /// <summary>As long as a job's lease and its grace: renewed every third of a lease, so a live instance never loses it.</summary>
    private TimeSpan Lease => jobs.Value.Lease + jobs.Value.LeaseGrace;

    /// <summary>The row's key: a hash of the in-flight key (which names the user and the request's fingerprint).</summary>
    private static string RowKey(string key) => RequestFingerprint.Hash(key);
}
