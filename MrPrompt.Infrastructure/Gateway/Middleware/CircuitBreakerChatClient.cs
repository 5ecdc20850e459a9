using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>
/// Fails fast while a provider's circuit is open, and tells the breaker how each call went: server
/// errors, timeouts and dropped connections count against the provider; a wrong key or a bad request
/// does not.
/// </summary>
public sealed class CircuitBreakerChatClient(IChatClient inner, CircuitBreaker breaker, string provider, string model)
    : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Acquire();
        try
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            breaker.RecordSuccess();
            return response;
        }
        catch (Exception ex)
        {
            Record(ex, options);
            throw;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Acquire();
        var settled = false;
        await using var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                var (hasItem, failure) = await StreamingGuard.TryMoveNextAsync(updates);
                if (failure is not null)
                {
                    settled = true;
                    Record(failure, options);
                    ExceptionDispatch.Rethrow(failure);
                }
                if (!hasItem)
                {
                    break;
                }
                yield return updates.Current;
            }
            settled = true;
            breaker.RecordSuccess();
        }
        finally
        {
            if (!settled)
            {
                breaker.RecordNeutral(); // the caller walked away mid-stream
            }
        }
    }

    private void Acquire()
    {
        if (!breaker.TryAcquire())
        {
            throw new GatewayException(GatewayError.ProviderUnavailable(provider));
        }
    }

    private void Record(Exception failure, ChatOptions? options)
    {
        // Only the caller stopping is neutral; a layer above cancelling a silent attempt (the
        // first-token timeout) is the provider being too slow, which counts against it.
        var callerStopped = GatewayCall.From(options)?.CallerCancellation.IsCancellationRequested ?? false;
        if (failure is OperationCanceledException)
        {
            if (callerStopped)
            {
                breaker.RecordNeutral();
            }
            else
            {
                breaker.RecordFailure();
            }
        }
        else if (ProviderErrors.Classify(failure, provider, model).ProviderFault)
        {
            breaker.RecordFailure();
        }
        else
        {
            breaker.RecordNeutral();
        }
    }
}
