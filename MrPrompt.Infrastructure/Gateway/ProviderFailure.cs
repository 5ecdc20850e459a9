using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// A failed attempt, judged: what to tell people, whether trying again may help, and whether it says
/// something about the provider's health (which feeds the circuit breaker).
/// </summary>
public sealed record ProviderFailure(GatewayError Error, bool Retryable, bool ProviderFault, int? HttpStatus = null);
