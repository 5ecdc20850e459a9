using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>A failure the gateway itself decided on (no key, circuit open, ...), already in words for people.</summary>
public sealed class GatewayException(GatewayError error, Exception? inner = null) : Exception(error.Message, inner)
{
    public GatewayError Error { get; } = error;
}
