using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Gateway.Providers;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>
/// One breaker per endpoint (provider and address), shared by every user and model calling it: an
/// outage belongs to the endpoint. A user's own server at another address gets its own breaker, so
/// it going down never blocks anyone else.
/// </summary>
public sealed class CircuitBreakerRegistry(TimeProvider clock, IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.OrdinalIgnoreCase);

    public CircuitBreaker For(ProviderEndpoint endpoint) => For($"{endpoint.ProviderId}|{endpoint.BaseUrl}");

    public CircuitBreaker For(string endpointKey) => _breakers.GetOrAdd(endpointKey, _ =>
        new CircuitBreaker(clock, options.Value.CircuitFailureThreshold, TimeSpan.FromSeconds(options.Value.CircuitBreakSeconds)));

    public IReadOnlyDictionary<string, CircuitBreaker> All => _breakers;
}
