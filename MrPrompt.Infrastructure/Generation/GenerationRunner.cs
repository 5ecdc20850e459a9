using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Generation;

/// <summary>
/// Owns every answer being written. A singleton, so an answer outlives the browser circuit that asked
/// for it: it streams from the gateway, saves the partial text about once a second, publishes each
/// delta to whoever watches, and saves the final text, status and accounting at the end.
/// </summary>
public sealed partial class GenerationRunner(
    IChatGateway gateway,
    IDbContextFactory<AppDbContext> contexts,
    IOptions<ConversationOptions> options,
    TimeProvider clock,
    ILogger<GenerationRunner> logger) : IHostedService
{
    internal const string InterruptedMessage = "The server restarted while this answer was being written.";

    private readonly ConcurrentDictionary<Guid, LiveGeneration> _live = new();
    private readonly Dictionary<Guid, int> _slotsInUse = [];
    private readonly Lock _slotsGate = new();
    private readonly ConcurrentDictionary<Guid, byte> _claimedSessions = new();
    private volatile bool _stopping;

    /// <summary>
    /// A place in the user's allowance of concurrent generations, or null when all are taken.
    /// Dispose it once the generations it covers have been started (or when starting failed).
    /// </summary>
    public GenerationSlot? TryReserve(Guid userId)
    {
        lock (_slotsGate)
        {
            var used = _slotsInUse.GetValueOrDefault(userId);
            if (used >= options.Value.MaxConcurrentGenerations || _stopping)
            {
                return null;
            }
            _slotsInUse[userId] = used + 1;
        }
        return new GenerationSlot(() => ReleaseSlot(userId));
    }

    /// <summary>Starts writing the answer in the background; the caller may go away at once.</summary>
    public LiveGeneration Start(GenerationJob job, GenerationSlot slot)
    {
        var live = new LiveGeneration(job.MessageId, job.SessionId, job.Request.UserId);
        if (!_live.TryAdd(job.MessageId, live))
        {
            throw new InvalidOperationException($"Message {job.MessageId} is already being written.");
        }
        slot.Attach();
        if (_stopping)
        {
            live.Cancel(MessageStatus.Incomplete); // the server is going away: save what there is, start nothing
        }
        _ = Task.Run(() => RunAsync(live, job, slot), CancellationToken.None);
        return live;
    }

    public LiveGeneration? Find(Guid messageId) => _live.GetValueOrDefault(messageId);

    /// <summary>
    /// Holds a session while an answer for it is checked, saved and started, so two tabs cannot both
    /// pass the "nothing is being written here" check. Null when another action holds it.
    /// </summary>
    public IDisposable? TryClaimSession(Guid sessionId) =>
        _claimedSessions.TryAdd(sessionId, 0) ? new SessionClaim(() => _claimedSessions.TryRemove(sessionId, out _)) : null;

    public bool IsWriting(Guid sessionId) => _live.Values.Any(g => g.SessionId == sessionId);

    /// <summary>Stops the user's answer; what was written is kept. False when there is nothing of theirs to stop.</summary>
    public bool Stop(Guid userId, Guid messageId)
    {
        if (_live.TryGetValue(messageId, out var live) && live.UserId == userId)
        {
            live.Cancel(MessageStatus.Cancelled);
            return true;
        }
        return false;
    }

    /// <summary>Stops every answer of a session (it is being deleted) and waits until they are settled.</summary>
    public async Task StopSessionAsync(Guid userId, Guid sessionId)
    {
        var stopping = _live.Values.Where(g => g.SessionId == sessionId && g.UserId == userId).ToList();
        foreach (var live in stopping)
        {
            live.Cancel(MessageStatus.Cancelled);
        }
        await Task.WhenAll(stopping.Select(g => g.Finished));
    }

    /// <summary>
    /// Answers left <c>streaming</c> belong to a process that is gone: mark them incomplete, with the
    /// text saved so far, so nothing spins forever after a restart.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var acrossAccounts = DataScope.AsSystem("answers interrupted by a restart");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var recovered = await db.Messages
            .Where(m => m.Status == MessageStatus.Streaming)
            .ExecuteUpdateAsync(set => set
                .SetProperty(m => m.Status, MessageStatus.Incomplete)
                .SetProperty(m => m.ErrorMessage, InterruptedMessage)
                .SetProperty(m => m.UpdatedAt, now), cancellationToken);
        if (recovered > 0)
        {
            LogRecovered(logger, recovered);
        }
    }

    /// <summary>On shutdown, in-flight answers are stopped and saved as incomplete rather than lost.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        var running = _live.Values.ToList();
        foreach (var live in running)
        {
            live.Cancel(MessageStatus.Incomplete);
        }
        await Task.WhenAll(running.Select(g => g.Finished)).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync(LiveGeneration live, GenerationJob job, GenerationSlot slot)
    {
        var status = MessageStatus.Failed;
        GatewayResult? result = null;
        GatewayError? error = null;
        try
        {
            var interval = TimeSpan.FromMilliseconds(options.Value.PersistIntervalMilliseconds);
            var lastSaved = clock.GetTimestamp();
            await foreach (var item in gateway.StreamAsync(job.Request, live.Cancellation))
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
            status = result is not null ? MessageStatus.Complete
                : error?.Code == GatewayErrorCode.Cancelled ? live.CancelledAs
                : MessageStatus.Failed;
        }
        catch (Exception ex)
        {
            // The gateway reports provider trouble as events; anything else is our bug, and the answer still settles.
            LogGenerationCrashed(logger, ex, job.MessageId);
            error = GatewayError.Unknown(job.Request.Model.Provider);
        }

        var outcome = new GenerationOutcome(job.MessageId, job.SessionId, live.UserId, status, live.Text, result);
        try
        {
            await SaveFinalWithRetryAsync(outcome, status == MessageStatus.Failed ? error : null);
        }
        finally
        {
            _live.TryRemove(job.MessageId, out _);
            slot.Detach();
            live.Finish(status);
        }

        if (job.AfterFinish is not null)
        {
            try
            {
                await job.AfterFinish(outcome);
            }
            catch (Exception ex)
            {
                LogFollowUpFailed(logger, ex, job.MessageId);
            }
        }
    }

    private async Task SavePartialAsync(LiveGeneration live)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync();
            var text = live.Text;
            var now = clock.GetUtcNow();
            await db.Messages
                .Where(m => m.Id == live.MessageId && m.Status == MessageStatus.Streaming)
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.Content, text).SetProperty(m => m.UpdatedAt, now));
        }
        catch (Exception ex) when (ex is DbUpdateException or Npgsql.NpgsqlException or TimeoutException)
        {
            // A missed checkpoint costs at most a second of text if the process dies; the answer goes on.
            LogCheckpointFailed(logger, live.MessageId, ex.GetType().Name);
        }
    }

    /// <summary>
    /// The final state must land, or the row would say <c>streaming</c> forever: retry a few times, and
    /// at worst mark it incomplete with whatever the last checkpoint saved.
    /// </summary>
    private async Task SaveFinalWithRetryAsync(GenerationOutcome outcome, GatewayError? error)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await SaveFinalAsync(outcome, error);
                return;
            }
            catch (Exception ex) when (attempt < 3)
            {
                LogSaveFailed(logger, ex, outcome.MessageId);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
            catch (Exception ex)
            {
                LogSaveFailed(logger, ex, outcome.MessageId);
                try
                {
                    await using var db = await contexts.CreateDbContextAsync();
                    await db.Messages.Where(m => m.Id == outcome.MessageId)
                        .ExecuteUpdateAsync(set => set.SetProperty(m => m.Status, MessageStatus.Incomplete));
                }
                catch (Exception last)
                {
                    LogSaveFailed(logger, last, outcome.MessageId);
                }
                return;
            }
        }
    }

    private async Task SaveFinalAsync(GenerationOutcome outcome, GatewayError? error)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var now = clock.GetUtcNow();
        var result = outcome.Result;
        var text = (result?.Text ?? outcome.Text).Replace("\0", "", StringComparison.Ordinal);
        var (errorCode, errorMessage) = (error?.CodeName, error?.Message);
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

    private void ReleaseSlot(Guid userId)
    {
        lock (_slotsGate)
        {
            var used = _slotsInUse.GetValueOrDefault(userId) - 1;
            if (used <= 0)
            {
                _slotsInUse.Remove(userId);
            }
            else
            {
                _slotsInUse[userId] = used;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marked {Count} answers left streaming by a previous run as incomplete")]
    private static partial void LogRecovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Generation of message {MessageId} failed unexpectedly")]
    private static partial void LogGenerationCrashed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not save the final state of message {MessageId}")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Follow-up work after message {MessageId} failed")]
    private static partial void LogFollowUpFailed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save the partial text of message {MessageId} ({Reason}); will try again")]
    private static partial void LogCheckpointFailed(ILogger logger, Guid messageId, string reason);

    private sealed class SessionClaim(Action release) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                release();
            }
        }
    }
}
