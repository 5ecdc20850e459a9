namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>
/// Helpers for wrapping an update stream: C# cannot yield inside a try that has a catch, so layers
/// advance the inner enumerator here and yield outside.
/// </summary>
internal static class StreamingGuard
{
    /// <summary>Moves to the next item, handing any failure back instead of throwing it.</summary>
    public static async ValueTask<(bool HasItem, Exception? Failure)> TryMoveNextAsync<T>(IAsyncEnumerator<T> enumerator)
    {
        try
        {
            return (await enumerator.MoveNextAsync(), null);
        }
        catch (Exception ex)
        {
            return (false, ex);
        }
    }
}
