using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Gateway.Providers;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>
/// One breaker per key at an address (<see cref="ProviderEndpoint.Fingerprint"/>), shared by every user
/// and model calling with it: one person's key going bad (revoked, out of credit, throttled) must not
/// fail the calls of everyone on the system key at the same address. An outage of the address opens
/// each key's breaker as its own calls fail.
/// </summary>
public sealed class CircuitBreakerRegistry(TimeProvider clock, IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.OrdinalIgnoreCase);

    public CircuitBreaker For(ProviderEndpoint endpoint) => For($"{endpoint.ProviderId}|{endpoint.Fingerprint}");

    public CircuitBreaker For(string endpointKey) => _breakers.GetOrAdd(endpointKey, _ =>
        new CircuitBreaker(clock, options.Value.CircuitFailureThreshold, TimeSpan.FromSeconds(options.Value.CircuitBreakSeconds)));

    public IReadOnlyDictionary<string, CircuitBreaker> All => _breakers;
}
