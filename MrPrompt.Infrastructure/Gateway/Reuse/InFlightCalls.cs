using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MrPrompt.Infrastructure.Gateway.Reuse;

/// <summary>
/// The calls under way in this process, by a key that identifies identical requests of one user: a
/// second identical request joins the first instead of calling the provider again. Calls leave the
/// table when they end, so later requests start afresh (reuse after the end is the cache's job).
/// </summary>
public sealed partial class InFlightCalls(ILogger<InFlightCalls> logger)
{
    private readonly ConcurrentDictionary<string, SharedCall> _calls = new(StringComparer.Ordinal);

    /// <summary>Number of calls under way, for tests and metrics.</summary>
    public int Count => _calls.Count;

    /// <summary>
    /// Follows the call under way with <paramref name="key"/>, or starts <paramref name="source"/> as it.
    /// <paramref name="onFinished"/> runs once, with the call's last event, for the call that was started.
    /// </summary>
    public IAsyncEnumerable<GatewayEvent> JoinOrStart(
        string key, Func<CancellationToken, IAsyncEnumerable<GatewayEvent>> source, Func<GatewayEvent?, Task> onFinished,
        CancellationToken cancellationToken) =>
        Attach(key, () => source, onFinished, cancellationToken)!;

    /// <summary>Follows the call under way with <paramref name="key"/>; null when there is none.</summary>
    public IAsyncEnumerable<GatewayEvent>? TryJoin(string key, CancellationToken cancellationToken) =>
        Attach(key, null, static _ => Task.CompletedTask, cancellationToken);

    private IAsyncEnumerable<GatewayEvent>? Attach(
        string key, Func<Func<CancellationToken, IAsyncEnumerable<GatewayEvent>>>? start, Func<GatewayEvent?, Task> onFinished,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_calls.TryGetValue(key, out var running))
            {
                if (running.TryAttach())
                {
                    return running.ReadAsync(cancellationToken);
                }
                // Abandoned by all its readers and about to end: it cannot be joined.
                _calls.TryRemove(new KeyValuePair<string, SharedCall>(key, running));
                continue;
            }
            if (start is null)
            {
                return null;
            }
            var call = new SharedCall();
            call.TryAttach();
            if (!_calls.TryAdd(key, call))
            {
                continue; // someone started the same request a moment ago: join theirs
            }
            call.Start(start(), async last =>
            {
                try
                {
                    // Kept joinable (as a replay) until its answer is stored, so a repeat never falls in between.
                    await onFinished(last);
                }
                finally
                {
                    _calls.TryRemove(new KeyValuePair<string, SharedCall>(key, call));
                }
            }, ex => LogFault(logger, ex));
            return call.ReadAsync(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A shared model call failed unexpectedly")]
    private static partial void LogFault(ILogger logger, Exception exception);
}
