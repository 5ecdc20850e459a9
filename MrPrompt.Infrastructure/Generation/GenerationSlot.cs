namespace MrPrompt.Infrastructure.Generation;

/// <summary>
/// One place in a user's allowance of concurrent generations. It is held by whoever reserved it
/// and by every generation started with it, and frees itself when the last of them lets go, so a
/// compare run of several columns counts once, like the one action it is.
/// </summary>
public sealed class GenerationSlot : IDisposable
{
    private readonly Action _release;
    private int _holders = 1; // the caller that reserved it, until it disposes
    private int _disposed;

    internal GenerationSlot(Action release) => _release = release;

    internal void Attach() => Interlocked.Increment(ref _holders);

    internal void Detach()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            _release();
        }
    }

    /// <summary>Lets go of the caller's hold; generations started with this slot keep it until they end.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Detach();
        }
    }
}
