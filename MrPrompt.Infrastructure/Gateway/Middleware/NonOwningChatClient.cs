using Microsoft.Extensions.AI;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>
/// Shields a shared client from the pipeline built over it: disposing the pipeline (to release its
/// telemetry source and meter) must not dispose the SDK client other pipelines still use.
/// </summary>
internal sealed class NonOwningChatClient(IChatClient shared) : DelegatingChatClient(shared)
{
    protected override void Dispose(bool disposing)
    {
        // Deliberately not disposing the inner client.
    }
}
