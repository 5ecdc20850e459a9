using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>One breaker per provider, shared by every user and model of it: an outage is the provider's.</summary>
public sealed class CircuitBreakerRegistry(TimeProvider clock, IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.OrdinalIgnoreCase);

    public CircuitBreaker For(string provider) => _breakers.GetOrAdd(provider, _ =>
        new CircuitBreaker(clock, options.Value.CircuitFailureThreshold, TimeSpan.FromSeconds(options.Value.CircuitBreakSeconds)));

    public IReadOnlyDictionary<string, CircuitBreaker> All => _breakers;
}
