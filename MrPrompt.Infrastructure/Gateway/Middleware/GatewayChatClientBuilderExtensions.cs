using Microsoft.Extensions.AI;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>The gateway's behaviours as <see cref="ChatClientBuilder"/> steps; the first <c>Use</c> is the outermost layer.</summary>
public static class GatewayChatClientBuilderExtensions
{
    public static ChatClientBuilder UseRetry(this ChatClientBuilder builder, string provider, string model,
        int maxAttempts, RetryBackoff backoff, TimeSpan firstTokenTimeout, TimeProvider clock) =>
        builder.Use(inner => new RetryChatClient(inner, provider, model, maxAttempts, backoff, firstTokenTimeout, clock));

    public static ChatClientBuilder UseUsageLogging(this ChatClientBuilder builder, string provider, string model,
        ModelPrice? price, IUsageSink sink, ITokenCounter tokens, TimeProvider clock) =>
        builder.Use(inner => new UsageLoggingChatClient(inner, provider, model, price, sink, tokens, clock));

    public static ChatClientBuilder UseCircuitBreaker(this ChatClientBuilder builder, CircuitBreaker breaker, string provider, string model) =>
        builder.Use(inner => new CircuitBreakerChatClient(inner, breaker, provider, model));

    public static ChatClientBuilder UseProviderErrorShield(this ChatClientBuilder builder, string provider, string model) =>
        builder.Use(inner => new ProviderErrorShieldChatClient(inner, provider, model));

    public static ChatClientBuilder UseFallback(this ChatClientBuilder builder, IReadOnlyList<IChatClient> fallbacks) =>
        fallbacks.Count == 0 ? builder : builder.Use(inner => new FallbackChatClient(inner, fallbacks));
}
