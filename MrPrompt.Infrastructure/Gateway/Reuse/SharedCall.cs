using System.Runtime.CompilerServices;
using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway.Reuse;

/// <summary>
/// One gateway call that several readers follow: every reader gets every event from the start, then
/// the live ones. The call runs on its own, independent of any one reader, and is cancelled when the
/// last reader leaves before it ends (a client that disconnects stops paying for tokens nobody reads).
/// </summary>
internal sealed class SharedCall
{
    private readonly object _gate = new();
    private readonly List<GatewayEvent> _events = [];
    private readonly CancellationTokenSource _upstream = new();
    private TaskCompletionSource _changed = new();
    private int _readers;
    private bool _finished;
    private bool _abandoned;

    /// <summary>Completes when the call has ended and its final event has been handled.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Counts a new reader in; false when the call was already abandoned by all its readers.</summary>
    public bool TryAttach()
    {
        lock (_gate)
        {
            if (_abandoned)
            {
                return false;
            }
            _readers++;
            return true;
        }
    }

    /// <summary>Runs <paramref name="source"/> in the background; <paramref name="onFinished"/> sees the last event.</summary>
    /// <remarks>
    /// Runs on the caller's thread until the first wait (the provider's reply), not queued to another:
    /// a hop to a parked pool thread costs tens of microseconds before the first upstream byte.
    /// </remarks>
    public void Start(Func<CancellationToken, IAsyncEnumerable<GatewayEvent>> source, Func<GatewayEvent?, Task> onFinished, Action<Exception> onFault) =>
        Completion = RunAsync(source, onFinished, onFault);

    private async Task RunAsync(Func<CancellationToken, IAsyncEnumerable<GatewayEvent>> source, Func<GatewayEvent?, Task> onFinished, Action<Exception> onFault)
    {
        GatewayEvent? last = null;
        try
        {
            await foreach (var item in source(_upstream.Token).WithCancellation(_upstream.Token))
            {
                last = item;
                Publish(item);
            }
        }
        catch (OperationCanceledException) when (_upstream.IsCancellationRequested)
        {
            // every reader left; the gateway has logged what was used
        }
        catch (Exception ex)
        {
            // Never leave readers without an ending: they get an error they can show, the log gets the cause.
            onFault(ex);
            if (last is not (GatewayCompleted or GatewayFailed))
            {
                last = new GatewayFailed(GatewayError.Unknown("the provider"), "", "");
                Publish(last);
            }
        }
        finally
        {
            lock (_gate)
            {
                _finished = true;
            }
            Publish(null);
            await onFinished(last);
        }
    }

    /// <summary>The events for one attached reader; leaving early detaches it.</summary>
    public async IAsyncEnumerable<GatewayEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = 0;
        try
        {
            while (true)
            {
                GatewayEvent? item = null;
                Task changed;
                lock (_gate)
                {
                    if (next < _events.Count)
                    {
                        item = _events[next++];
                    }
                    else if (_finished)
                    {
                        yield break;
                    }
                    changed = _changed.Task;
                }
                if (item is not null)
                {
                    yield return item;
                    continue;
                }
                await changed.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            Detach();
        }
    }

    /// <summary>Adds an event (none when only the end is announced) and wakes the readers.</summary>
    private void Publish(GatewayEvent? item)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (item is not null)
            {
                _events.Add(item);
                // Once the outcome is out, a reader leaving is no reason to cancel anything.
                _finished |= item is GatewayCompleted or GatewayFailed;
            }
            changed = _changed;
            _changed = new TaskCompletionSource();
        }
        changed.TrySetResult();
    }

    private void Detach()
    {
        lock (_gate)
        {
            if (--_readers > 0 || _finished)
            {
                return;
            }
            _abandoned = true;
        }
        _upstream.Cancel();
    }
}
