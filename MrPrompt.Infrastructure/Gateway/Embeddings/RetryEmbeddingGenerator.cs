using Microsoft.Extensions.AI;
using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway.Embeddings;

/// <summary>
/// Retries a provider call that failed for a passing reason (timeout, rate limit, server error) up to
/// <paramref name="maxRetries"/> times with the gateway's back-off, honouring Retry-After; a wrong key or a bad
/// request fails at once. Each attempt is numbered for its usage row.
/// </summary>
public sealed class RetryEmbeddingGenerator(
    IEmbeddingGenerator<string, Embedding<float>> inner, string provider, string model, int maxRetries, RetryBackoff backoff, TimeProvider clock)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values as IReadOnlyList<string> ?? values.ToList();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await base.GenerateAsync(inputs, GatewayCall.ForAttempt(options, attempt), cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && DelayBeforeRetry(ex, attempt) is { } delay)
            {
                await Task.Delay(delay, clock, cancellationToken);
            }
        }
    }

    private TimeSpan? DelayBeforeRetry(Exception failure, int attempt)
    {
        if (attempt > maxRetries)
        {
            return null;
        }
        var judged = ProviderErrors.Classify(failure, provider, model);
        return judged.Retryable ? backoff.DelayBefore(attempt, judged.Error.RetryAfter, Random.Shared.NextDouble()) : null;
    }
}
