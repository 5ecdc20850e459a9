namespace MrPrompt.Tests.Support;

/// <summary>
/// A condition a test waits for without polling a clock: whatever changes what the condition reads
/// calls <see cref="Pulse"/>, and waiters look again.
/// </summary>
public sealed class ConditionSignal
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes once <paramref name="condition"/> holds; gives up after 30 s of no change that makes it hold.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = Volatile.Read(ref _changed);
            if (condition())
            {
                return;
            }
            await next.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
    }
}
