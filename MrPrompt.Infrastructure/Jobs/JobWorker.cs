using MrPrompt.Infrastructure.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Jobs;

/// <summary>
/// This instance's side of the queue: it listens for new work and stop requests (LISTEN/NOTIFY), claims waiting jobs
/// up to <see cref="JobOptions.Workers"/> and hands them to the <see cref="GenerationRunner"/> (answers) or the
/// <see cref="KnowledgeIngestion"/> (documents), renews the leases of
/// everything running here, and takes back the jobs of instances that stopped renewing theirs. Polling is only the
/// fallback for a lost notification or a job whose back-off has run out.
/// </summary>
public sealed partial class JobWorker(
    JobQueue queue,
    GenerationRunner runner,
    KnowledgeIngestion ingestion,
    InstanceIdentity identity,
    DatabaseConnection database,
    JobMetrics metrics,
    FleetSchedule schedule,
    Gateway.Reuse.FleetCalls calls,
    IOptions<JobOptions> options,
    IOptions<ShutdownOptions> shutdown,
    TimeProvider clock,
    ILogger<JobWorker> logger) : BackgroundService, IHostedLifecycleService
{
    /// <summary>Expired compare runs are deleted by one instance of the fleet each poll.</summary>
    public const string CompareExpiryTask = "compare-expiry";

    private readonly SemaphoreSlim _wake = new(0);
    private readonly DateTimeOffset _startedAt = clock.GetUtcNow();
    private int _runningFromQueue;

    private JobOptions Options => options.Value;

    /// <summary>Free places that make a finished job wake the claim loop (new work and the poll claim whatever is free).</summary>
    private int ClaimBatch => Math.Max(1, Options.Workers / 4);

    /// <summary>Jobs from the queue running here now.</summary>
    public int RunningFromQueue => Volatile.Read(ref _runningFromQueue);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await HeartbeatAsync(running: 0, stoppingToken); // the console shows an instance from its start, not a renewal later
        var background = new[]
        {
            ListenAsync(stoppingToken),
            EveryAsync(Options.Lease / 3, RenewLeasesAsync, stoppingToken),
            EveryAsync(Options.Poll, SweepAsync, stoppingToken),
        };
        await ClaimLoopAsync(stoppingToken);
        await Task.WhenAll(background).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// Leaving the fleet (SIGTERM), before any service stops (the web server included, which stops first and then waits
    /// for its open requests): claims stop at once, the answers running here get <see cref="ShutdownOptions.Drain"/> to
    /// finish while their leases are still renewed, the rest are handed back. Readiness is already false
    /// (<c>ApplicationStopping</c>) and pages and programs are still served meanwhile.
    /// </summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => runner.DrainAsync(shutdown.Value.Drain, cancellationToken);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
            var wait = Options.Poll;
            if (free > 0 && runner.IsAccepting && ingestion.IsAccepting)
            {
                try
                {
                    // Ingestions are claimed only into a free ingestion place: waiting in this instance's hands, they would
                    // hold the places of answers while another instance could run them.
                    var answers = await queue.ClaimAsync(identity.Name, free, stoppingToken);
                    var places = Math.Min(ingestion.FreePlaces, free - answers.Count);
                    var claimed = answers.ToList();
                    if (places > 0)
                    {
                        claimed.AddRange(await queue.ClaimAsync(identity.Name, places, stoppingToken, ingestions: true));
                    }
                    var now = clock.GetUtcNow();
                    foreach (var job in claimed)
                    {
                        metrics.Claimed(job, now);
                        Task finished;
                        try
                        {
                            finished = job.Kind == JobKind.IngestDocument ? ingestion.Start(job) : runner.Run(job).Finished;
                        }
                        catch (InvalidOperationException ex)
                        {
                            // Its previous run here has not let go yet (a lease taken back a moment ago): the queue keeps it for later.
                            LogNotStarted(logger, job.Id, ex.Message);
                            await queue.GiveBackAsync(identity.Name, job.Id, stoppingToken);
                            continue;
                        }
                        Interlocked.Increment(ref _runningFromQueue);
                        _ = finished.ContinueWith(_ =>
                        {
                            // Places are refilled a batch at a time: one claim per finished job would cost a query each.
                            if (Options.Workers - Interlocked.Decrement(ref _runningFromQueue) >= ClaimBatch)
                            {
                                Wake();
                            }
                        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    }
                    // A full claim may have left more waiting: look again at once. Otherwise sleep until the next
                    // back-off runs out (no notification announces that), or the poll.
                    filled = answers.Count == free;
                    if (!filled && await queue.NextRetryAsync(stoppingToken) is { } due)
                    {
                        wait = TimeSpan.FromTicks(Math.Clamp((due - clock.GetUtcNow()).Ticks, TimeSpan.FromMilliseconds(1).Ticks, Options.Poll.Ticks));
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogClaimFailed(logger, ex);
                }
            }
            if (!filled)
            {
                await ((Task)_wake.WaitAsync(wait, stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>New work and stop requests, from any instance.</summary>
    private Task ListenAsync(CancellationToken stoppingToken) =>
        NotificationListener.ListenAsync(database, [JobQueue.WorkChannel, JobQueue.CancelChannel], e =>
        {
            if (e.Channel == JobQueue.CancelChannel && Guid.TryParse(e.Payload, out var jobId))
            {
                runner.Stop(jobId, StopReason.Stopped);
            }
            else
            {
                Wake();
            }
        }, Wake /* whatever arrived while nobody listened */, clock, logger, stoppingToken);

    private async Task RenewLeasesAsync(CancellationToken stoppingToken)
    {
        var running = runner.RunningJobs.Concat(ingestion.RunningJobs).ToList();
        try
        {
            await calls.RenewAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
        {
            LogHousekeepingFailed(logger, ex); // the jobs' leases below are renewed all the same
        }
        var states = await queue.RenewAsync(identity.Name, running, stoppingToken);
        foreach (var (jobId, state) in states)
        {
            switch (state)
            {
                case LeaseState.Lost:
                    runner.Stop(jobId, StopReason.LeaseLost);
                    ingestion.Stop(jobId, StopReason.LeaseLost);
                    break;
                case LeaseState.CancelRequested:
                    runner.Stop(jobId, StopReason.Stopped);
                    ingestion.Stop(jobId, StopReason.Stopped);
                    break;
            }
        }
        await HeartbeatAsync(running.Count, stoppingToken);
    }

    private async Task HeartbeatAsync(int running, CancellationToken stoppingToken)
    {
        try
        {
            await queue.HeartbeatAsync(identity.Name, _startedAt, running, stoppingToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or Microsoft.EntityFrameworkCore.DbUpdateException or TimeoutException)
        {
            // Only the console's view of this instance suffers; leases are renewed apart from it.
            LogHousekeepingFailed(logger, ex);
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        if (await queue.RescueAbandonedAsync(stoppingToken) > 0)
        {
            Wake(); // the jobs put back may run here
        }
        if (await schedule.TryClaimAsync(CompareExpiryTask, Options.Poll, stoppingToken))
        {
            await queue.DeleteExpiredComparesAsync(stoppingToken);
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claimed job {JobId} could not start here ({Reason}); given back to the queue")]
    private static partial void LogNotStarted(ILogger logger, Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim queued jobs; will look again")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease renewal or sweep failed; will try again")]
    private static partial void LogHousekeepingFailed(ILogger logger, Exception exception);
}
