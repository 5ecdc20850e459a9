using MrPrompt.Domain.Gateway;
using Npgsql;
using NpgsqlTypes;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>
/// Requests and tokens per minute, per user and per API key, over one-minute sliding windows kept in Postgres
/// (<c>rate_windows</c>, one round trip per check, on <see cref="CallerCounters"/>' connections) so a limit holds across every instance on the database. A window counts
/// by the second: what was taken leaves it between 59 and 60 seconds later, never later than a minute.
/// </summary>
public sealed class CallRateLimits(CallerCounters counters, TimeProvider clock)
{
    /// <summary>Counts one request for the user and the key, or says which limit is reached and for how long.</summary>
    public async Task<GatewayError?> TryAdmitAsync(
        Guid userId, Guid? keyId, CallerAllowance allowance, int? keyRequestsPerMinute, long? keyTokensPerMinute, CancellationToken cancellationToken)
    {
        var keyRequests = keyRequestsPerMinute ?? allowance.RequestsPerMinute;
        var keyTokens = keyTokensPerMinute ?? allowance.TokensPerMinute;
        await using var connection = await counters.OpenAsync(cancellationToken);
        await using var admit = CallerCounters.Batch(connection, CallerCounters.NoAccount, new NpgsqlBatchCommand("SELECT refused, wait FROM mrprompt_rate_admit($1, $2, $3, $4, $5, $6, $7)")
        {
            Parameters =
            {
                new() { Value = clock.GetUtcNow() },
                new() { Value = UserWindow(userId) },
                new() { Value = keyId is { } key ? KeyWindow(key) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (long)allowance.RequestsPerMinute },
                new() { Value = allowance.TokensPerMinute },
                new() { Value = (long)keyRequests },
                new() { Value = keyTokens },
            },
        });
        await using var reader = await CallerCounters.ReadLastAsync(admit, cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var wait = TimeSpan.FromSeconds(reader.GetDouble(1));
        return reader.IsDBNull(0) ? null : reader.GetString(0) switch
        {
            "user_tokens" => GatewayError.UsageLimited($"your limit of {allowance.TokensPerMinute} tokens per minute", wait),
            "key_tokens" => GatewayError.UsageLimited($"this API key's limit of {keyTokens} tokens per minute", wait),
            "key_requests" => GatewayError.UsageLimited($"this API key's limit of {keyRequests} requests per minute", wait),
            _ => GatewayError.UsageLimited($"your limit of {allowance.RequestsPerMinute} requests per minute", wait),
        };
    }

    /// <summary>Counts one send or run started from a page, before anything is saved; null, or how long to wait.</summary>
    public Task<TimeSpan?> TryStartInteractiveAsync(Guid userId, int perMinute, CancellationToken cancellationToken = default) =>
        TryTakeAsync($"{UserWindow(userId)}:interactive", perMinute, cancellationToken);

    /// <summary>Counts one embedding request (<c>EMBED_RATE_LIMIT_PER_MIN</c>); null, or how long to wait.</summary>
    public Task<TimeSpan?> TryStartEmbeddingAsync(Guid userId, int perMinute, CancellationToken cancellationToken = default) =>
        TryTakeAsync($"{UserWindow(userId)}:embeddings", perMinute, cancellationToken);

    /// <summary>
    /// What adds the tokens a call used to the user's window and its key's (in the order admissions lock them), to send with the
    /// call's other settlement (<see cref="CallAdmission.Ticket"/>); null when it used none.
    /// </summary>
    public NpgsqlBatchCommand? RecordTokens(Guid userId, Guid? keyId, long tokens) => tokens <= 0 ? null : new NpgsqlBatchCommand(
        "SELECT mrprompt_rate_take($1, $3, NULL, $4, true), CASE WHEN $2::text IS NULL THEN 0 ELSE mrprompt_rate_take($2, $3, NULL, $4, true) END")
    {
        Parameters =
        {
            new() { Value = $"{UserWindow(userId)}:tokens" },
            new() { Value = keyId is { } key ? $"{KeyWindow(key)}:tokens" : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            new() { Value = clock.GetUtcNow() },
            new() { Value = tokens },
        },
    };

    /// <summary>Forgets windows with nothing left in them, so idle callers hold no rows.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await counters.OpenAsync(cancellationToken);
        await using var prune = CallerCounters.Batch(connection, CallerCounters.NoAccount,
            CallerCounters.Command("DELETE FROM rate_windows WHERE second < $1", clock.GetUtcNow().ToUnixTimeSeconds() - 60));
        await prune.ExecuteNonQueryAsync(cancellationToken);
        return prune.BatchCommands[1].RecordsAffected;
    }

    private async Task<TimeSpan?> TryTakeAsync(string window, long limit, CancellationToken cancellationToken)
    {
        await using var connection = await counters.OpenAsync(cancellationToken);
        await using var take = CallerCounters.Batch(connection, CallerCounters.NoAccount,
            CallerCounters.Command("SELECT mrprompt_rate_take($1, $2, $3, 1, true)", window, clock.GetUtcNow(), limit));
        await using var reader = await CallerCounters.ReadLastAsync(take, cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var wait = reader.GetDouble(0);
        return wait > 0 ? TimeSpan.FromSeconds(wait) : null;
    }

    private static string UserWindow(Guid userId) => $"u:{userId}";

    private static string KeyWindow(Guid keyId) => $"k:{keyId}";
}
