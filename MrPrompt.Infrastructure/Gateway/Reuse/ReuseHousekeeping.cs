using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Gateway.Reuse;

/// <summary>Deletes expired cache entries and idempotency records on a schedule, so neither table grows without bound, and forgets idle rate windows.</summary>
public sealed partial class ReuseHousekeeping(
    ResponseCache cache, IdempotencyStore idempotency, Limits.CallRateLimits rates, IOptions<GatewayOptions> options, TimeProvider clock, ILogger<ReuseHousekeeping> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.CleanupIntervalMinutes), clock);
        do
        {
            await CleanOnceAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task CleanOnceAsync(CancellationToken cancellationToken)
    {
        using var acrossAccounts = DataScope.AsSystem("expired answers and idempotency keys");
        rates.Prune();
        try
        {
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
