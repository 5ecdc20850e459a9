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
        var ticket = Acquire();
        try
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            breaker.RecordSuccess(ticket);
            return response;
        }
        catch (Exception ex)
        {
            Record(ticket, ex, options);
            throw;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var ticket = Acquire();
        var settled = false;
        try
        {
            await foreach (var step in base.GetStreamingResponseAsync(messages, options, cancellationToken).Guarded(cancellationToken))
            {
                if (step.Failure is { } failure)
                {
                    settled = true;
                    Record(ticket, failure, options);
                    ExceptionDispatch.Rethrow(failure);
                }
                yield return step.Item;
            }
            settled = true;
            breaker.RecordSuccess(ticket);
        }
        finally
        {
            if (!settled)
            {
                breaker.RecordNeutral(ticket); // the caller walked away mid-stream
            }
        }
    }

    private long Acquire() => breaker.TryAcquire(out var ticket)
        ? ticket
        : throw new GatewayException(GatewayError.ProviderUnavailable(provider));

    private void Record(long ticket, Exception failure, ChatOptions? options)
    {
        // Only the caller stopping is neutral; a layer above cancelling a silent attempt (the
        // first-token timeout) is the provider being too slow, which counts against it.
        var callerStopped = GatewayCall.From(options)?.CallerCancellation.IsCancellationRequested ?? false;
        if (failure is OperationCanceledException)
        {
            if (callerStopped)
            {
                breaker.RecordNeutral(ticket);
            }
            else
            {
                breaker.RecordFailure(ticket);
            }
        }
        else if (ProviderErrors.Classify(failure, provider, model).ProviderFault)
        {
            breaker.RecordFailure(ticket);
        }
        else
        {
            breaker.RecordNeutral(ticket);
        }
    }
}
