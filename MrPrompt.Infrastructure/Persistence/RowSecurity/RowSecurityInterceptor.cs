using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MrPrompt.Infrastructure.Persistence.RowSecurity;

/// <summary>
/// Tells Postgres, on every connection the app opens, whose rows this work may see: the settings the
/// row-level security policies read (<c>app.user_id</c>, <c>app.system</c>). Session-wide rather than
/// per transaction because EF runs most statements outside one; every open overwrites both, so a pooled
/// connection never keeps an earlier flow's scope.
/// </summary>
public sealed partial class RowSecurityInterceptor(ILogger<RowSecurityInterceptor> logger) : DbConnectionInterceptor
{
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = Command((NpgsqlConnection)connection, Current());
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = Command((NpgsqlConnection)connection, Current());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>For connections opened without EF (the usage writer's COPY): the same settings, for an explicit actor.</summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, DataActor actor, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, actor);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// For a batch sent on a connection opened without EF: its first command, setting the scope for the rest, so the
    /// settings cost no round trip of their own. Returns one row, which the batch's reader skips.
    /// </summary>
    public static NpgsqlBatchCommand ScopeCommand(DataActor actor) =>
        new("SELECT set_config('app.user_id', $1, false), set_config('app.system', $2, false)")
        {
            Parameters =
            {
                new() { Value = actor.UserId?.ToString() ?? "" },
                new() { Value = actor.IsSystem ? "on" : "" },
            },
        };

    /// <summary>
    /// Inside an open transaction whose connection was opened for someone else (or nobody): the rest of the
    /// transaction acts as <paramref name="userId"/>. Used where an account comes into being mid-transaction.
    /// </summary>
    public static Task ActAsInTransactionAsync(DatabaseFacade database, Guid userId, CancellationToken cancellationToken) =>
        database.ExecuteSqlAsync($"SELECT set_config('app.user_id', {userId.ToString()}, true)", cancellationToken);

    private DataActor? Current()
    {
        var actor = DataScope.Current;
        Log(actor);
        return actor;
    }

    private void Log(DataActor? actor)
    {
        if (actor?.SystemReason is { } reason)
        {
            LogSystemWork(logger, reason);
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, DataActor? actor) =>
        new("SELECT set_config('app.user_id', $1, false), set_config('app.system', $2, false)", connection)
        {
            Parameters =
            {
                new() { Value = actor?.UserId?.ToString() ?? "" },
                new() { Value = actor?.IsSystem == true ? "on" : "" },
            },
        };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Database work across accounts: {Reason}")]
    private static partial void LogSystemWork(ILogger logger, string reason);
}
