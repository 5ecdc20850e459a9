using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using Npgsql;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>
/// The connections the gateway's per-call counters use (rate windows, budgets, shared calls): the app's role, in a pool of
/// their own whose connections keep their session between uses. Npgsql's reset when a connection goes back to the pool
/// (DISCARD ALL) also throws away the plans of the counters' plpgsql functions, which were then planned again on every
/// call (0.42 against 0.19 ms a call, bench/README.md). Nothing here may rely on that reset: every batch sent through
/// <see cref="Batch"/> names its account first, so no earlier use's scope carries over. Each use holds its connection for one
/// short batch, so the pool is a quarter of the app's (at least 10).
/// </summary>
public sealed class CallerCounters(DatabaseConnection database)
{
    /// <summary>No account: for counters that are not an account's rows (rate windows are named, not owned).</summary>
    public static readonly DataActor NoAccount = new(null, null);

    private Derived? _derived;

    private sealed record Derived(string From, string ConnectionString);

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Sends <paramref name="commands"/> acting as <paramref name="actor"/>: one round trip, all or nothing.</summary>
    public async Task RunAsync(DataActor actor, NpgsqlBatchCommand[] commands, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var batch = Batch(connection, actor, commands);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// <paramref name="commands"/> acting as <paramref name="actor"/>, in one round trip and one implicit transaction (all or
    /// nothing). Read it with <see cref="ReadLastAsync"/>: the scope's row comes first.
    /// </summary>
    public static NpgsqlBatch Batch(NpgsqlConnection connection, DataActor actor, params NpgsqlBatchCommand[] commands)
    {
        var batch = new NpgsqlBatch(connection) { BatchCommands = { RowSecurityInterceptor.ScopeCommand(actor) } };
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }
        return batch;
    }

    /// <summary>Runs <paramref name="batch"/>; its reader is at the results of the last command (past the scope's row and any before).</summary>
    public static async Task<NpgsqlDataReader> ReadLastAsync(NpgsqlBatch batch, CancellationToken cancellationToken)
    {
        var reader = await batch.ExecuteReaderAsync(cancellationToken);
        for (var command = 1; command < batch.BatchCommands.Count; command++)
        {
            await reader.NextResultAsync(cancellationToken);
        }
        return reader;
    }

    /// <summary><paramref name="sql"/> with <paramref name="values"/> as $1, $2, ….</summary>
    public static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        return command;
    }

    /// <summary>The app's connection string without the reset; the embedded database's is known only once it has started.</summary>
    private string ConnectionString()
    {
        var current = database.ConnectionString;
        var derived = _derived;
        if (derived is null || !ReferenceEquals(derived.From, current))
        {
            var builder = new NpgsqlConnectionStringBuilder(current) { NoResetOnClose = true };
            builder.MaxPoolSize = Math.Max(10, builder.MaxPoolSize / 4);
            builder.MinPoolSize = Math.Min(builder.MinPoolSize, builder.MaxPoolSize);
            derived = new Derived(current, builder.ConnectionString);
            _derived = derived;
        }
        return derived.ConnectionString;
    }
}
