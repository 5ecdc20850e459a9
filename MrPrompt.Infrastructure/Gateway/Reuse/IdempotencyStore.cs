using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Gateway.Reuse;

/// <summary>What an idempotency key says about a new request carrying it.</summary>
public enum IdempotencyVerdict
{
    /// <summary>First use (or the earlier one expired or failed): run it.</summary>
    Claimed,

    /// <summary>The same request already finished: replay its answer.</summary>
    Replay,

    /// <summary>The same request is still running.</summary>
    InProgress,

    /// <summary>The key was used for a different request.</summary>
    Conflict,
}

public sealed record IdempotencyClaim(IdempotencyVerdict Verdict, IdempotencyRecord? Record = null);

/// <summary>
/// Idempotency keys in Postgres, so a retry after a dropped connection or a restart never pays twice:
/// the insert that claims a key is atomic, and a finished answer is kept for 24 hours.
/// </summary>
public sealed class IdempotencyStore(IDbContextFactory<AppDbContext> contexts, TimeProvider clock)
{
    /// <summary>Longer than any call may run (the gateway's longest request timeout is an hour).</summary>
    public static readonly TimeSpan InProgressLease = TimeSpan.FromMinutes(65);

    public async Task<IdempotencyClaim> ClaimAsync(Guid userId, string key, string requestHash, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO idempotency_keys (user_id, key, request_hash, created_at, input_tokens, output_tokens)
            VALUES ({userId}, {key}, {requestHash}, {now}, 0, 0)
            ON CONFLICT (user_id, key) DO NOTHING
            """, cancellationToken);
        if (inserted == 1)
        {
            return new IdempotencyClaim(IdempotencyVerdict.Claimed);
        }
        var existing = await db.IdempotencyRecords.AsNoTracking().FirstOrDefaultAsync(r => r.UserId == userId && r.Key == key, cancellationToken);
        if (existing is null)
        {
            // Released between our insert and our read: try once more.
            return await ClaimAsync(userId, key, requestHash, cancellationToken);
        }
        if (existing.IsExpiredAt(now) || (existing.CompletedAt is null && now - existing.CreatedAt > InProgressLease))
        {
            // Take an expired record over, or one whose call cannot still be running (its process
            // died before finishing); the created_at check makes two takers race safely.
            var taken = await db.IdempotencyRecords
                .Where(r => r.UserId == userId && r.Key == key && r.CreatedAt == existing.CreatedAt)
                .ExecuteUpdateAsync(r => r
                    .SetProperty(x => x.RequestHash, requestHash)
                    .SetProperty(x => x.CreatedAt, now)
                    .SetProperty(x => x.CompletedAt, (DateTimeOffset?)null)
                    .SetProperty(x => x.ResponseContent, (string?)null), cancellationToken);
            return taken == 1 ? new IdempotencyClaim(IdempotencyVerdict.Claimed) : await ClaimAsync(userId, key, requestHash, cancellationToken);
        }
        if (existing.RequestHash != requestHash)
        {
            return new IdempotencyClaim(IdempotencyVerdict.Conflict, existing);
        }
        return existing.CompletedAt is null
            ? new IdempotencyClaim(IdempotencyVerdict.InProgress, existing)
            : new IdempotencyClaim(IdempotencyVerdict.Replay, existing);
    }

    public async Task CompleteAsync(Guid userId, string key, GatewayResult result, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        await db.IdempotencyRecords
            .Where(r => r.UserId == userId && r.Key == key)
            .ExecuteUpdateAsync(r => r
                .SetProperty(x => x.CompletedAt, now)
                .SetProperty(x => x.ResponseContent, result.Text)
                .SetProperty(x => x.Model, $"{result.Provider}/{result.Model}")
                .SetProperty(x => x.InputTokens, result.InputTokens)
                .SetProperty(x => x.OutputTokens, result.OutputTokens)
                .SetProperty(x => x.FinishReason, result.FinishReason), cancellationToken);
    }

    /// <summary>A call that ended without an answer frees its key, so the program's retry runs it again.</summary>
    public async Task ReleaseAsync(Guid userId, string key, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.IdempotencyRecords.Where(r => r.UserId == userId && r.Key == key && r.CompletedAt == null).ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var cutoff = clock.GetUtcNow() - IdempotencyRecord.Lifetime;
        return await db.IdempotencyRecords.Where(r => r.CreatedAt <= cutoff).ExecuteDeleteAsync(cancellationToken);
    }
}
