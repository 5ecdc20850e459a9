using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Gateway.Reuse;

/// <summary>
/// Deletes expired cache entries and idempotency records on a schedule, so neither table grows without bound, forgets idle
/// rate windows and lets go of budget reservations no live instance will settle: once per period across the fleet.
/// </summary>
public sealed partial class ReuseHousekeeping(
    ResponseCache cache, IdempotencyStore idempotency, FleetCalls calls, Limits.CallRateLimits rates, Limits.BudgetLedger budget, Cluster.FleetSchedule schedule,
    IOptions<GatewayOptions> options, IOptions<Jobs.JobOptions> jobs, TimeProvider clock, ILogger<ReuseHousekeeping> logger)
    : BackgroundService
{
    public const string TaskName = "reuse-cleanup";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromMinutes(options.Value.CleanupIntervalMinutes);
        using var timer = new PeriodicTimer(period, clock);
        do
        {
            try
            {
                if (await schedule.TryClaimAsync(TaskName, period, stoppingToken))
                {
                    await CleanOnceAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogCleanupFailed(logger, ex.GetType().Name); // next round tries again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task CleanOnceAsync(CancellationToken cancellationToken)
    {
        using var acrossAccounts = DataScope.AsSystem("expired answers and idempotency keys");
        try
        {
            await rates.PruneAsync(cancellationToken);
            await calls.DeleteEndedAsync(cancellationToken);
            // An instance silent for a few leases is gone (its jobs are being taken back too).
            await budget.ReleaseAbandonedAsync(jobs.Value.Lease * 3 + jobs.Value.LeaseGrace, cancellationToken);
            var answers = await cache.DeleteExpiredAsync(cancellationToken);
            var keys = await idempotency.DeleteExpiredAsync(cancellationToken);
            if (answers + keys > 0)
            {
                LogCleaned(logger, answers, keys);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            LogCleanupFailed(logger, ex.GetType().Name); // next round tries again
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Answers} expired cached answers and {Keys} expired idempotency keys")]
    private static partial void LogCleaned(ILogger logger, int answers, int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cleaning expired cache entries failed: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string reason);
}
