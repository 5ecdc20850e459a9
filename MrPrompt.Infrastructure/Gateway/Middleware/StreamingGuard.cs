using System.Runtime.CompilerServices;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>One step of a guarded stream: an item, or the failure that ended the stream.</summary>
internal readonly record struct StreamStep<T>(T Item, Exception? Failure);

/// <summary>
/// The loop every layer wrapping an update stream needs: C# cannot yield inside a try that has a catch,
/// so a layer that must react to a failure and still pass items on walks the stream through here.
/// </summary>
internal static class StreamingGuard
{
    /// <summary>
    /// The items of <paramref name="source"/>, then, if it failed, one last step carrying the failure
    /// instead of throwing it. Leaving early disposes <paramref name="source"/>, which stops it.
    /// </summary>
    public static async IAsyncEnumerable<StreamStep<T>> Guarded<T>(this IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var items = source.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            Exception? failure = null;
            var hasItem = false;
            try
            {
                hasItem = await items.MoveNextAsync();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            if (failure is not null)
            {
                yield return new StreamStep<T>(default!, failure);
                yield break;
            }
            if (!hasItem)
            {
                yield break;
            }
            yield return new StreamStep<T>(items.Current, null);
        }
    }
}
