using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>
/// Requests and tokens per minute, per user and per API key, over one-minute sliding windows kept in Postgres
/// (<c>rate_windows</c>, one round trip per check) so a limit holds across every instance on the database. A window counts
/// by the second: what was taken leaves it between 59 and 60 seconds later, never later than a minute.
/// </summary>
public sealed class CallRateLimits(DatabaseConnection database, TimeProvider clock)
{
    /// <summary>Counts one request for the user and the key, or says which limit is reached and for how long.</summary>
    public async Task<GatewayError?> TryAdmitAsync(
        Guid userId, Guid? keyId, CallerAllowance allowance, int? keyRequestsPerMinute, long? keyTokensPerMinute, CancellationToken cancellationToken)
    {
        var keyRequests = keyRequestsPerMinute ?? allowance.RequestsPerMinute;
        var keyTokens = keyTokensPerMinute ?? allowance.TokensPerMinute;
        await using var connection = await OpenAsync(cancellationToken);
        await using var admit = new NpgsqlCommand("SELECT refused, wait FROM mrprompt_rate_admit($1, $2, $3, $4, $5, $6, $7)", connection)
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
        };
        await using var reader = await admit.ExecuteReaderAsync(cancellationToken);
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

    /// <summary>Adds the tokens a call used to the user's window and its key's (in the order admissions lock them).</summary>
    public async Task RecordTokensAsync(Guid userId, Guid? keyId, long tokens, CancellationToken cancellationToken = default)
    {
        if (tokens <= 0)
        {
            return;
        }
        await using var connection = await OpenAsync(cancellationToken);
        await using var record = new NpgsqlCommand(
            "SELECT mrprompt_rate_take($1, $3, NULL, $4, true), CASE WHEN $2::text IS NULL THEN 0 ELSE mrprompt_rate_take($2, $3, NULL, $4, true) END",
            connection)
        {
            Parameters =
            {
                new() { Value = $"{UserWindow(userId)}:tokens" },
                new() { Value = keyId is { } key ? $"{KeyWindow(key)}:tokens" : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = clock.GetUtcNow() },
                new() { Value = tokens },
            },
        };
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Forgets windows with nothing left in them, so idle callers hold no rows.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var prune = new NpgsqlCommand("DELETE FROM rate_windows WHERE second < $1", connection)
        {
            Parameters = { new() { Value = clock.GetUtcNow().ToUnixTimeSeconds() - 60 } },
        };
        return await prune.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<TimeSpan?> TryTakeAsync(string window, long limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var take = new NpgsqlCommand("SELECT mrprompt_rate_take($1, $2, $3, 1, true)", connection)
        {
            Parameters = { new() { Value = window }, new() { Value = clock.GetUtcNow() }, new() { Value = limit } },
        };
        var wait = (double)(await take.ExecuteScalarAsync(cancellationToken))!;
        return wait > 0 ? TimeSpan.FromSeconds(wait) : null;
    }

    /// <summary>
    /// A pooled connection of the app's role. No account scope is set: <c>rate_windows</c> holds counters under opaque names,
    /// not an account's rows.
    /// </summary>
    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static string UserWindow(Guid userId) => $"u:{userId}";

    private static string KeyWindow(Guid keyId) => $"k:{keyId}";
}
