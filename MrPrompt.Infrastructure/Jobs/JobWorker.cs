using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Persistence;
using Npgsql;

namespace MrPrompt.Infrastructure.Jobs;

/// <summary>
/// This instance's side of the queue: it listens for new work and stop requests (LISTEN/NOTIFY), claims waiting jobs
/// up to <see cref="JobOptions.Workers"/> and hands them to the <see cref="GenerationRunner"/>, renews the leases of
/// everything running here, and takes back the jobs of instances that stopped renewing theirs. Polling is only the
/// fallback for a lost notification or a job whose back-off has run out.
/// </summary>
public sealed partial class JobWorker(
    JobQueue queue,
    GenerationRunner runner,
    WorkerIdentity identity,
    DatabaseConnection database,
    JobMetrics metrics,
    IOptions<JobOptions> options,
    TimeProvider clock,
    ILogger<JobWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly DateTimeOffset _startedAt = clock.GetUtcNow();
    private int _runningFromQueue;

    private JobOptions Options => options.Value;

    /// <summary>Jobs from the queue running here now.</summary>
    public int RunningFromQueue => Volatile.Read(ref _runningFromQueue);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var background = new[]
        {
            ListenAsync(stoppingToken),
            EveryAsync(Options.Lease / 3, RenewLeasesAsync, stoppingToken),
            EveryAsync(Options.Poll, SweepAsync, stoppingToken),
        };
        await ClaimLoopAsync(stoppingToken);
        await Task.WhenAll(background).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Wakes the claim loop (a notification came, or a place freed up).</summary>
    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var free = Options.Workers - RunningFromQueue;
            var filled = false;
            if (free > 0 && runner.IsAccepting)
            {
                try
                {
                    var claimed = await queue.ClaimAsync(identity.Name, free, stoppingToken);
                    var now = clock.GetUtcNow();
                    foreach (var job in claimed)
                    {
                        metrics.Claimed(job, now);
                        Interlocked.Increment(ref _runningFromQueue);
                        var live = runner.Run(job);
                        _ = live.Finished.ContinueWith(_ =>
                        {
                            Interlocked.Decrement(ref _runningFromQueue);
                            Wake();
                        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    }
                    // A full claim may have left more waiting: look again at once.
                    filled = claimed.Count == free;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogClaimFailed(logger, ex);
                }
            }
            if (!filled)
            {
                await ((Task)_wake.WaitAsync(Options.Poll, stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One connection held open for notifications; reopened after a failure.</summary>
    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { KeepAlive = 30, Pooling = false }.ConnectionString;
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == JobQueue.CancelChannel && Guid.TryParse(e.Payload, out var jobId))
                    {
                        runner.Stop(jobId, StopReason.Stopped);
                    }
                    else
                    {
                        Wake();
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {JobQueue.WorkChannel}; LISTEN {JobQueue.CancelChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                Wake(); // whatever arrived while nobody listened
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogListenFailed(logger, ex.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RenewLeasesAsync(CancellationToken stoppingToken)
    {
        var running = runner.RunningJobs;
        await queue.HeartbeatAsync(identity.Name, _startedAt, running.Count, stoppingToken);
        var states = await queue.RenewAsync(identity.Name, running, stoppingToken);
        foreach (var (jobId, state) in states)
        {
            switch (state)
            {
                case LeaseState.Lost:
                    runner.Stop(jobId, StopReason.LeaseLost);
                    break;
                case LeaseState.CancelRequested:
                    runner.Stop(jobId, StopReason.Stopped);
                    break;
            }
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        if (await queue.RescueAbandonedAsync(stoppingToken) > 0)
        {
            Wake(); // the jobs put back may run here
        }
        await queue.DeleteExpiredComparesAsync(stoppingToken);
        metrics.Waiting(await queue.WaitingCountAsync(stoppingToken));
    }

    private async Task EveryAsync(TimeSpan period, Func<CancellationToken, Task> work, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(period, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await work(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogHousekeepingFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim queued jobs; will look again")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the job notification connection ({Reason}); reconnecting, polling meanwhile")]
    private static partial void LogListenFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease renewal or sweep failed; will try again")]
    private static partial void LogHousekeepingFailed(ILogger logger, Exception exception);
}
