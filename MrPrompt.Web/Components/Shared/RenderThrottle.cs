namespace MrPrompt.Web.Components.Shared;

/// <summary>
/// Coalesces many change notices into at most one render per interval: the first renders at once,
/// later ones wait for the rest of the interval, and notices during the wait share that one render.
/// Safe to call from any thread; <paramref name="render"/> marshals to the component itself.
/// </summary>
public sealed class RenderThrottle(TimeSpan interval, Func<Task> render, TimeProvider? clock = null) : IDisposable
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private int _pending;
    private long _lastRender;
    private volatile bool _disposed;

    public void Request()
    {
        if (_disposed || Interlocked.Exchange(ref _pending, 1) == 1)
        {
            return;
        }
        _ = RenderSoonAsync();
    }

    private async Task RenderSoonAsync()
    {
        var wait = _lastRender == 0 ? TimeSpan.Zero : interval - _clock.GetElapsedTime(_lastRender);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _clock);
        }
        // Cleared before rendering: a change that lands during the render schedules the next one.
        Volatile.Write(ref _pending, 0);
        if (_disposed)
        {
            return;
        }
        _lastRender = _clock.GetTimestamp();
        await render();
    }

    public void Dispose() => _disposed = true;
}
