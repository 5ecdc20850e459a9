using MrPrompt.Infrastructure.Cluster;
using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Jobs;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Generation;

/// <summary>
/// Runs the queued jobs this instance holds (docs/contracts.md, "Generation jobs"): streams each answer from the gateway,
/// saves the partial text about once a second, publishes each delta to whoever watches here, and ends the job and its
/// answer in one transaction. A singleton, so an answer outlives the browser circuit that asked for it; whatever this
/// process cannot finish (it dies) the queue's sweeper takes back on another instance.
/// </summary>
public sealed partial class GenerationRunner(
    IChatGateway gateway,
    IDbContextFactory<AppDbContext> contexts,
    JobQueue queue,
    InstanceIdentity worker,
    JobMetrics metrics,
    SessionTitler titler,
    IOptions<ConversationOptions> options,
    TimeProvider clock,
    ILogger<GenerationRunner> logger) : IHostedService
{
    private readonly ConcurrentDictionary<Guid, LiveGeneration> _live = new();
    private volatile bool _stopping;

    /// <summary>False once the server is shutting down: nothing new starts here.</summary>
    public bool IsAccepting => !_stopping;

    /// <summary>
    /// Starts writing the answer of <paramref name="job"/>, which this instance has claimed, in the background; the caller
    /// may go away at once.
    /// </summary>
    public LiveGeneration Run(GenerationJob job)
    {
        var live = new LiveGeneration(job.Id, job.MessageId!.Value, job.SessionId!.Value, job.UserId);
        if (!_live.TryAdd(job.MessageId!.Value, live))
        {
            throw new InvalidOperationException($"Message {job.MessageId!.Value} is already being written.");
        }
        if (_stopping)
        {
            live.Cancel(StopReason.ServerStopping); // the server is going away: give it back, start nothing
        }
        _ = Task.Run(() => RunAsync(live, job), CancellationToken.None);
        return live;
    }

    public LiveGeneration? Find(Guid messageId) => _live.GetValueOrDefault(messageId);

    /// <summary>The jobs running here, whose leases the worker renews.</summary>
    public IReadOnlyCollection<Guid> RunningJobs => _live.Values.Select(g => g.JobId).ToList();

    /// <summary>Stops the user's answer if it runs here; what was written is kept. False when nothing of theirs runs here.</summary>
    public bool Stop(Guid userId, Guid messageId)
    {
        if (_live.TryGetValue(messageId, out var live) && live.UserId == userId)
        {
            live.Cancel(StopReason.Stopped);
            return true;
        }
        return false;
    }

    /// <summary>A job asked to stop (through the queue, from any instance), or one whose lease was lost.</summary>
    internal void Stop(Guid jobId, StopReason reason)
    {
        foreach (var live in _live.Values.Where(g => g.JobId == jobId))
        {
            live.Cancel(reason);
        }
    }

    /// <summary>Stops every answer of a session running here (it is being deleted) and waits until they are settled.</summary>
    public async Task StopSessionAsync(Guid userId, Guid sessionId)
    {
        var stopping = _live.Values.Where(g => g.SessionId == sessionId && g.UserId == userId).ToList();
        foreach (var live in stopping)
        {
            live.Cancel(StopReason.Stopped);
        }
        await Task.WhenAll(stopping.Select(g => g.Finished));
    }

    /// <summary>Answers left <c>streaming</c> with no job that could still finish them are settled as incomplete.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settled = await queue.SettleOrphanedAnswersAsync(cancellationToken);
        if (settled > 0)
        {
            LogRecovered(logger, settled);
        }
    }

    /// <summary>
    /// Leaving the fleet: nothing new starts here; answers in flight may finish within <paramref name="drain"/>; those still
    /// running then are stopped and handed back to the queue (their text so far dropped), to be written again by another
    /// instance (or this one, restarted). Completes when every answer here has been settled or handed back.
    /// </summary>
    public async Task DrainAsync(TimeSpan drain, CancellationToken cancellationToken)
    {
        _stopping = true;
        var running = _live.Values.ToList();
        await Task.WhenAll(running.Select(g => g.Finished)).WaitAsync(drain, clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        running = _live.Values.ToList();
        foreach (var live in running)
        {
            live.Cancel(StopReason.ServerStopping);
        }
        await Task.WhenAll(running.Select(g => g.Finished)).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>The worker drains this runner first (<see cref="JobWorker"/>); whatever is left (the worker never ran) is handed back now.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => DrainAsync(TimeSpan.Zero, cancellationToken);

    /// <summary>The bytes of the images the payload names by attachment (the job row carries only their ids).</summary>
    private async Task<IReadOnlyDictionary<Guid, byte[]>?> ImagesAsync(JobPayload payload, CancellationToken cancellationToken)
    {
        var ids = payload.AttachmentIds;
        if (ids.Count == 0)
        {
            return null;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.MessageAttachments.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Data, cancellationToken);
    }

    private async Task RunAsync(LiveGeneration live, GenerationJob job)
    {
        using var scope = DataScope.ForUser(job.UserId);
        var started = clock.GetTimestamp();
        JobPayload? payload = null;
        GatewayResult? result = null;
        GatewayError? error = null;
        try
        {
            // Inside the try: a payload this version cannot read fails the job (and frees its place) instead of hanging it.
            payload = JobPayload.FromJson(job.Payload);
            var interval = TimeSpan.FromMilliseconds(options.Value.PersistIntervalMilliseconds);
            var lastSaved = clock.GetTimestamp();
            await foreach (var item in gateway.StreamAsync(payload.ToRequest(job, await ImagesAsync(payload, live.Cancellation)), live.Cancellation))
            {
                switch (item)
                {
                    case GatewayDelta delta:
                        live.Append(delta.Text);
                        if (clock.GetElapsedTime(lastSaved) >= interval)
                        {
                            await SavePartialAsync(live);
                            lastSaved = clock.GetTimestamp();
                        }
                        break;
                    case GatewayCompleted completed:
                        result = completed.Result;
                        break;
                    case GatewayFailed failed:
                        error = failed.Error;
                        break;
                }
            }
        }
        catch (Exception ex)
        {
            // The gateway reports provider trouble as events; anything else is our bug, and the answer still settles.
            LogGenerationCrashed(logger, ex, job.MessageId!.Value);
            error = GatewayError.Unknown(payload?.Model ?? "unknown");
        }

        var text = live.Text;
        // A payload that could not be read is never worth another attempt.
        var ending = Ending(live.StoppedBecause, result, error, text, payload?.Source ?? UsageSource.Ui, mayRunAgain: payload is not null && job.Attempts < job.MaxAttempts);
        var status = ending.Answer;
        var saved = false;
        try
        {
            saved = await EndAsync(job, ending, new GenerationOutcome(job.MessageId!.Value, job.SessionId!.Value, job.UserId, status, text, result), error);
        }
        finally
        {
            _live.TryRemove(job.MessageId!.Value, out _);
            live.Finish(status);
            metrics.Ran(job, clock.GetElapsedTime(started), ending.Job);
        }

        // Follow-up work only for an answer this instance really saved: one whose lease was lost belongs to someone else.
        if (saved && payload!.TitleAfterAnswer && status == MessageStatus.Complete)
        {
            try
            {
                await titler.TitleAfterFirstAnswerAsync(new GenerationOutcome(job.MessageId!.Value, job.SessionId!.Value, job.UserId, status, text, result));
            }
            catch (Exception ex)
            {
                LogFollowUpFailed(logger, ex, job.MessageId!.Value);
            }
        }
    }

    /// <summary>What becomes of the job and its answer once the stream has ended.</summary>
    private static RunEnding Ending(StopReason? stopped, GatewayResult? result, GatewayError? error, string text, UsageSource source, bool mayRunAgain) => stopped switch
    {
        StopReason.LeaseLost => new(JobMove.Drop, JobStatus.Processing, MessageStatus.Incomplete),
        _ when result is not null => new(JobMove.Finish, JobStatus.Completed, MessageStatus.Complete),
        StopReason.Stopped => new(JobMove.Finish, JobStatus.Cancelled, MessageStatus.Cancelled),
        // Leaving the fleet: the answer is written again from the start elsewhere (its text so far goes with the give-back).
        StopReason.ServerStopping => new(JobMove.GiveBack, JobStatus.Pending, MessageStatus.Streaming),
        // Before the first token a queued job waits and runs again; a person watching in the browser gets the failure at
        // once (the gateway has already retried and fallen back) and may press Regenerate.
        _ when text.Length == 0 && error?.IsTransient == true && source != UsageSource.Ui && mayRunAgain => new(JobMove.Retry, JobStatus.Retrying, MessageStatus.Streaming),
        _ => new(JobMove.Finish, JobStatus.Failed, MessageStatus.Failed),
    };

    /// <summary>
    /// Ends the run in the queue. A database outage gets a few tries; after that the lease runs out and the sweeper
    /// settles the job from the last checkpoint, so no answer stays <c>streaming</c> for good. True when the job's end
    /// (and with it the answer) was written by this instance.
    /// </summary>
    private async Task<bool> EndAsync(GenerationJob job, RunEnding ending, GenerationOutcome outcome, GatewayError? error)
    {
        var jobError = ending switch
        {
            { Job: JobStatus.Failed, Answer: MessageStatus.Incomplete } => (JobQueue.InterruptedCode, JobQueue.InterruptedMessage),
            { Job: JobStatus.Failed or JobStatus.Retrying } when error is not null => (error.CodeName, error.Message),
            _ => ((string, string)?)null,
        };
        var answerError = ending.Answer == MessageStatus.Failed ? error : null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                switch (ending.Move)
                {
                    case JobMove.Finish:
                        return await queue.FinishAsync(worker.Name, job.Id, ending.Job, jobError, db => SaveAnswerAsync(db, outcome, answerError));
                    case JobMove.Retry:
                        await queue.RetryLaterAsync(worker.Name, job, jobError!.Value);
                        return true;
                    case JobMove.GiveBack:
                        await queue.GiveBackAsync(worker.Name, job.Id);
                        return true;
                    default:
                        return false;
                }
            }
            catch (Exception ex) when (attempt < 3)
            {
                LogSaveFailed(logger, ex, outcome.MessageId);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
            catch (Exception ex)
            {
                LogSaveFailed(logger, ex, outcome.MessageId);
                return false;
            }
        }
    }

    /// <summary>
    /// Saves the text so far, while this instance still holds the job: one that lost its lease must not write into an
    /// answer another instance may be writing again.
    /// </summary>
    private async Task SavePartialAsync(LiveGeneration live)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync();
            var text = live.Text;
            var now = clock.GetUtcNow();
            var owner = worker.Name;
            await db.Messages
                .Where(m => m.Id == live.MessageId && m.Status == MessageStatus.Streaming
                    && db.GenerationJobs.Any(j => j.Id == live.JobId && j.LeaseOwner == owner && j.Status == JobStatus.Processing))
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.Content, text).SetProperty(m => m.UpdatedAt, now));
        }
        catch (Exception ex) when (ex is DbUpdateException or Npgsql.NpgsqlException or TimeoutException)
        {
            // A missed checkpoint costs at most a second of text if the process dies; the answer goes on.
            LogCheckpointFailed(logger, live.MessageId, ex.GetType().Name);
        }
    }

    private async Task SaveAnswerAsync(AppDbContext db, GenerationOutcome outcome, GatewayError? error)
    {
        var now = clock.GetUtcNow();
        var result = outcome.Result;
        var text = (result?.Text ?? outcome.Text).Replace("\0", "", StringComparison.Ordinal);
        var (errorCode, errorMessage) = outcome.Status == MessageStatus.Incomplete
            ? (JobQueue.InterruptedCode, JobQueue.InterruptedMessage)
            : (JobQueue.Fit(error?.CodeName, JobQueue.MaxErrorCodeLength), JobQueue.Fit(error?.Message, JobQueue.MaxErrorMessageLength));
        // A message deleted meanwhile (its session went, or it was regenerated) simply matches no row.
        await db.Messages
            .Where(m => m.Id == outcome.MessageId)
            .ExecuteUpdateAsync(set =>
            {
                set.SetProperty(m => m.Content, text)
                    .SetProperty(m => m.Status, outcome.Status)
                    .SetProperty(m => m.ErrorCode, errorCode)
                    .SetProperty(m => m.ErrorMessage, errorMessage)
                    .SetProperty(m => m.UpdatedAt, now);
                if (result is not null)
                {
                    // The provider and model that answered: a fallback may differ from the one asked.
                    set.SetProperty(m => m.Provider, result.Provider)
                        .SetProperty(m => m.Model, result.Model)
                        .SetProperty(m => m.ProviderMessageId, result.ResponseId)
                        .SetProperty(m => m.InputTokens, result.InputTokens)
                        .SetProperty(m => m.OutputTokens, result.OutputTokens)
                        .SetProperty(m => m.TokensEstimated, result.TokensEstimated)
                        .SetProperty(m => m.LatencyMs, (int)result.Latency.TotalMilliseconds)
                        .SetProperty(m => m.CostUsd, result.CostUsd);
                }
            });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marked {Count} answers left streaming without a job as incomplete")]
    private static partial void LogRecovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Generation of message {MessageId} failed unexpectedly")]
    private static partial void LogGenerationCrashed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not save the end of message {MessageId}; its lease will run out and the queue settles it")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Follow-up work after message {MessageId} failed")]
    private static partial void LogFollowUpFailed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save the partial text of message {MessageId} ({Reason}); will try again")]
    private static partial void LogCheckpointFailed(ILogger logger, Guid messageId, string reason);

    private enum JobMove
    {
        Finish,
        Retry,
        GiveBack,

        /// <summary>The job is no longer ours: write nothing.</summary>
        Drop,
    }

    /// <summary>The queue move, and the job's and answer's states it leads to.</summary>
    private sealed record RunEnding(JobMove Move, JobStatus Job, MessageStatus Answer);
}

/// <summary>How a generation ended, as saved.</summary>
public sealed record GenerationOutcome(Guid MessageId, Guid SessionId, Guid UserId, MessageStatus Status, string Text, GatewayResult? Result);
