namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// The one entry point for model calls: the chat UI, the HTTP API and background work all come
/// here, so keys, limits, retries, fallbacks and the usage log behave the same everywhere.
/// </summary>
public interface IChatGateway
{
    /// <summary>Text deltas as they arrive, then one <see cref="GatewayCompleted"/> or <see cref="GatewayFailed"/>.</summary>
    IAsyncEnumerable<GatewayEvent> StreamAsync(GatewayRequest request, CancellationToken cancellationToken = default);

    Task<GatewayOutcome> CompleteAsync(GatewayRequest request, CancellationToken cancellationToken = default);
}
