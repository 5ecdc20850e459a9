using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>
/// The innermost layer: turns whatever the SDK threw into a <see cref="ProviderCallException"/>,
/// judged while the attempt's response headers are still at hand. Cancellation passes through.
/// </summary>
public sealed class ProviderErrorShieldChatClient(IChatClient inner, string provider, string model) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ProviderCallException)
        {
            throw Shield(ex);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var step in base.GetStreamingResponseAsync(messages, options, cancellationToken).Guarded(cancellationToken))
        {
            if (step.Failure is { } failure)
            {
                ExceptionDispatch.Rethrow(failure is OperationCanceledException or ProviderCallException ? failure : Shield(failure));
            }
            yield return step.Item;
        }
    }

    private ProviderCallException Shield(Exception exception) =>
        new(ProviderErrors.Classify(exception, provider, model), exception);
}
