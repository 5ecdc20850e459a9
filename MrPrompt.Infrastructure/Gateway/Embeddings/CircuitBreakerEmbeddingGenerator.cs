using Microsoft.Extensions.AI;
using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway.Embeddings;

/// <summary>
/// Fails fast while the endpoint's circuit is open (the same breaker its chat calls use: one key at one address),
/// and tells the breaker how each call went; only provider faults count against it.
/// </summary>
public sealed class CircuitBreakerEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, CircuitBreaker breaker, string provider, string model)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (!breaker.TryAcquire(out var ticket))
        {
            throw new GatewayException(GatewayError.ProviderUnavailable(provider));
        }
        try
        {
            var generated = await base.GenerateAsync(values, options, cancellationToken);
            breaker.RecordSuccess(ticket);
            return generated;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            breaker.RecordNeutral(ticket);
            throw;
        }
        catch (Exception ex)
        {
            if (ex is OperationCanceledException || ProviderErrors.Classify(ex, provider, model).ProviderFault)
            {
                breaker.RecordFailure(ticket);
            }
            else
            {
                breaker.RecordNeutral(ticket);
            }
            throw;
        }
    }
}
