using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Cluster;

/// <summary>
/// Receives the other instances' <see cref="ClusterChanges"/> for as long as this one runs, and has each service that
/// keeps what changed forget it (after a lost connection everything is forgotten once: what was missed is unknown); and
/// the ends of calls shared across the fleet, for whoever waits for them here (<see cref="Gateway.Reuse.FleetCalls"/>).
/// </summary>
public sealed partial class ClusterChangeListener(
    ClusterChanges changes, AccountChanges accounts, CallerAllowances allowances, ApiKeyService apiKeys, CredentialService credentials,
    StoredProviders providers, Gateway.Reuse.FleetCalls calls, DatabaseConnection database, TimeProvider clock, ILogger<ClusterChangeListener> logger)
    : BackgroundService
{
    private bool _connectedBefore;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once this instance first hears the others' changes.</summary>
    public Task Listening => _listening.Task;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        NotificationListener.ListenAsync(database, [ClusterChanges.Channel, Gateway.Reuse.FleetCalls.Channel], e =>
        {
            if (e.Channel == Gateway.Reuse.FleetCalls.Channel)
            {
                calls.Ended(e.Payload);
            }
            else if (changes.Read(e.Payload) is { } change)
            {
                Apply(change);
            }
        }, Connected, clock, logger, stoppingToken);

    private void Connected()
    {
        // The first connection misses nothing this instance holds (it has just started); a later one may have.
        if (_connectedBefore)
        {
            foreach (var kind in Enum.GetValues<ClusterChangeKind>())
            {
                Apply(new ClusterChange(kind));
            }
        }
        _connectedBefore = true;
        _listening.TrySetResult();
    }

    private void Apply(ClusterChange change)
    {
        try
        {
            switch (change)
            {
                case { Kind: ClusterChangeKind.Account, Id: { } userId }:
                    accounts.RecordHere(userId);
                    break;
                case { Kind: ClusterChangeKind.Account }:
                    allowances.ForgetAll();
                    break;
                case { Kind: ClusterChangeKind.ApiKeys }:
                    apiKeys.ForgetSignInsHere();
                    break;
                case { Kind: ClusterChangeKind.Credentials }:
                    credentials.ForgetHere(change.Id);
                    break;
                case { Kind: ClusterChangeKind.Providers }:
                    providers.RefreshAsync(force: true).Observe(logger, "providers changed on another instance");
                    break;
            }
        }
        catch (Exception ex)
        {
            LogApplyFailed(logger, change.Kind, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying a {Kind} change from another instance failed")]
    private static partial void LogApplyFailed(ILogger logger, ClusterChangeKind kind, Exception exception);
}
