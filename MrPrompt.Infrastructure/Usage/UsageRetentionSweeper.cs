using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>
/// Deletes usage rows older than the retention on a schedule. It deletes in batches, each its own
/// short transaction, so a first sweep over years of rows never holds locks or grows the WAL for long. One instance of the
/// fleet sweeps each time (<see cref="Cluster.FleetSchedule"/>).
/// </summary>
public sealed partial class UsageRetentionSweeper(
    IDbContextFactory<AppDbContext> contexts, UsageRetentionPolicy policy, Cluster.FleetSchedule schedule, IOptions<UsageRetentionOptions> options,
    TimeProvider clock, ILogger<UsageRetentionSweeper> logger) : BackgroundService
{
    public const int BatchSize = 10_000;
    public const string TaskName = "usage-retention";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromMinutes(options.Value.RetentionSweepMinutes);
        using var timer = new PeriodicTimer(period, clock);
        do
        {
            try
            {
                // Once per period across the fleet.
                if (await schedule.TryClaimAsync(TaskName, period, stoppingToken))
                {
                    await SweepOnceAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, ex.GetType().Name); // the next round tries again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Deletes what the retention no longer keeps; returns how many rows went.</summary>
    public async Task<long> SweepOnceAsync(CancellationToken cancellationToken)
    {
        using var acrossAccounts = DataScope.AsSystem("usage retention");
        var setting = await policy.CurrentAsync(cancellationToken);
        if (UsageRetention.Cutoff(clock.GetUtcNow(), setting.Days) is not { } cutoff)
        {
            return 0;
        }
        long deleted = 0;
        int batch;
        do
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            batch = await db.Database.ExecuteSqlAsync($"""
                DELETE FROM prompt_usage_logs
                WHERE id IN (SELECT id FROM prompt_usage_logs WHERE executed_at < {cutoff} LIMIT {BatchSize})
                """, cancellationToken);
            deleted += batch;
        }
        while (batch == BatchSize);
        if (deleted > 0)
        {
            LogSwept(logger, deleted, setting.Days);
        }
        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Rows} usage rows older than {Days} days")]
    private static partial void LogSwept(ILogger logger, long rows, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old usage rows failed: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
