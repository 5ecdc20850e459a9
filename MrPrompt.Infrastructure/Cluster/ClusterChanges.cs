using Microsoft.Extensions.Logging;
using MrPrompt.Infrastructure.Persistence;
using Npgsql;

namespace MrPrompt.Infrastructure.Cluster;

/// <summary>What an instance keeps in memory that a change elsewhere in the fleet makes stale.</summary>
public enum ClusterChangeKind
{
    /// <summary>An account's role, standing (disabled) or budget, or what its sign-in shows: <see cref="ClusterChange.Id"/> is the account.</summary>
    Account,

    /// <summary>An API key was revoked (or its account disabled): every instance checks keys against the database again.</summary>
    ApiKeys,

    /// <summary>A user's own provider key was added, replaced or removed: <see cref="ClusterChange.Id"/> is the user.</summary>
    Credentials,

    /// <summary>The providers an admin manages (their keys, models, access per role) changed.</summary>
    Providers,
}

/// <summary>One change; <see cref="Id"/> null means "anything of this kind may have changed" (a notification may have been missed).</summary>
public sealed record ClusterChange(ClusterChangeKind Kind, Guid? Id = null);

/// <summary>
/// Tells every other instance sharing the database that something they keep in memory changed (Postgres NOTIFY on
/// <see cref="Channel"/>), so a revoked key, a disabled account, a replaced provider key or a changed role stops working
/// everywhere within moments rather than when a per-process cache expires. <see cref="ClusterChangeListener"/> receives
/// them and has each service forget what it kept. An instance's own changes reach it directly, never through here.
/// </summary>
public sealed partial class ClusterChanges(DatabaseConnection database, InstanceIdentity instance, ILogger<ClusterChanges> logger)
{
    public const string Channel = "mrprompt_changes";

    /// <summary>Tells the other instances; a failure is logged, and they fall back on their caches' short lives.</summary>
    public async Task PublishAsync(ClusterChange change, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection)
            {
                Parameters = { new() { Value = Channel }, new() { Value = $"{instance.Name} {change.Kind} {change.Id}" } },
            };
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            LogPublishFailed(logger, change.Kind, ex.GetType().Name);
        }
    }

    /// <summary>Publishes without making the caller wait: the change is already saved, and telling others must not undo it.</summary>
    public void Publish(ClusterChange change) => _ = PublishAsync(change);

    /// <summary>A notification's payload ("sender kind id"); null when this instance sent it (its own changes reached it directly).</summary>
    internal ClusterChange? Read(string payload)
    {
        var parts = payload.Split(' ');
        return parts.Length != 3 || parts[0] == instance.Name || !Enum.TryParse<ClusterChangeKind>(parts[1], out var kind)
            ? null
            : new ClusterChange(kind, Guid.TryParse(parts[2], out var id) ? id : null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell other instances of a {Kind} change ({Reason}); they notice when their caches expire")]
    private static partial void LogPublishFailed(ILogger logger, ClusterChangeKind kind, string reason);
}
