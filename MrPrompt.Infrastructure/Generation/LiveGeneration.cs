using System.Text;
using MrPrompt.Domain.Chat;

namespace MrPrompt.Infrastructure.Generation;

/// <summary>
/// An answer being written now. Watchers read <see cref="Text"/> when they render and hear of
/// every change through <see cref="Changed"/>, raised on the generation's own thread: handlers
/// must be quick and marshal to their own context.
/// </summary>
public sealed class LiveGeneration
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _text = new();
    private string? _snapshot = "";
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal LiveGeneration(Guid jobId, Guid messageId, Guid sessionId, Guid userId)
    {
        JobId = jobId;
        MessageId = messageId;
        SessionId = sessionId;
        UserId = userId;
    }

    /// <summary>The queued job this answer runs for.</summary>
    public Guid JobId { get; }
    public Guid MessageId { get; }
    public Guid SessionId { get; }
    public Guid UserId { get; }

    public event Action? Changed;

    public string Text
    {
        get
        {
            lock (_gate)
            {
                // Every watcher reads it on each frame; it is copied once per change, not once per read.
                return _snapshot ??= _text.ToString();
            }
        }
    }

    public MessageStatus Status { get; private set; } = MessageStatus.Streaming;

    /// <summary>Completes once the final state is saved.</summary>
    public Task Finished => _finished.Task;

    internal CancellationToken Cancellation => _cancellation.Token;

    /// <summary>Why the generation was stopped before its end, if it was.</summary>
    internal StopReason? StoppedBecause { get; private set; }

    internal void Append(string delta)
    {
        lock (_gate)
        {
            // Postgres text cannot hold U+0000; one stray NUL from a model must not stop every save.
            _text.Append(delta.Contains('\0', StringComparison.Ordinal) ? delta.Replace("\0", "", StringComparison.Ordinal) : delta);
            _snapshot = null;
        }
        Changed?.Invoke();
    }

    internal void Cancel(StopReason reason)
    {
        // The first reason stands: a user's stop followed by the shutdown is still the user's stop.
        lock (_gate)
        {
            StoppedBecause ??= reason;
        }
        _cancellation.Cancel();
    }

    internal void Finish(MessageStatus status)
    {
        Status = status;
        _finished.TrySetResult();
        Changed?.Invoke();
    }
}

/// <summary>Why an answer stopped before its end.</summary>
internal enum StopReason
{
    /// <summary>Its owner pressed Stop or cancelled the job: kept as cancelled.</summary>
    Stopped,

    /// <summary>This server is going away: kept as incomplete, or given back to the queue when nothing was written.</summary>
    ServerStopping,

    /// <summary>Another instance took the job back (this one stopped renewing in time): nothing more is saved from here.</summary>
    LeaseLost,
}
