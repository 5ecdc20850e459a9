using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>
/// When a model fails before its first word, asks the next model of its fallback chain (for example
/// OpenAI down → Anthropic). Each model's own pipeline retries and logs its attempts first.
/// </summary>
public sealed class FallbackChatClient(IChatClient primary, IReadOnlyList<IChatClient> fallbacks) : DelegatingChatClient(primary)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var history = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var candidates = Candidates();
        for (var i = 0; ; i++)
        {
            try
            {
                return await candidates[i].GetResponseAsync(history, options, cancellationToken);
            }
            catch (Exception) when (i < candidates.Count - 1 && !cancellationToken.IsCancellationRequested)
            {
                // the next candidate answers instead
            }
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var history = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var candidates = Candidates();
        for (var i = 0; i < candidates.Count; i++)
        {
            var streamedText = false;
            Exception? failure = null;
            await foreach (var step in candidates[i].GetStreamingResponseAsync(history, options, cancellationToken).Guarded(cancellationToken))
            {
                if (step.Failure is not null)
                {
                    failure = step.Failure;
                    break;
                }
                streamedText |= step.Item.Text.Length > 0;
                yield return step.Item;
            }
            if (failure is null)
            {
                yield break;
            }
            if (streamedText || cancellationToken.IsCancellationRequested || i == candidates.Count - 1)
            {
                ExceptionDispatch.Rethrow(failure);
            }
        }
    }

    private List<IChatClient> Candidates() => [InnerClient, .. fallbacks];
}
