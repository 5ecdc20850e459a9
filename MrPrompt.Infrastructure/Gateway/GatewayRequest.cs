using Microsoft.Extensions.AI;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>One model call: who asks, which model, what to send, and where the call comes from.</summary>
public sealed record GatewayRequest
{
    public required Guid UserId { get; init; }
    public required ModelRef Model { get; init; }
    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public float? Temperature { get; init; }
    public int? MaxOutputTokens { get; init; }
    public GatewayResponseFormat ResponseFormat { get; init; } = GatewayResponseFormat.Text;

    /// <summary>The JSON schema when <see cref="ResponseFormat"/> is <see cref="GatewayResponseFormat.JsonSchema"/>.</summary>
    public System.Text.Json.JsonElement? JsonSchema { get; init; }

    public UsageSource Source { get; init; } = UsageSource.Ui;
    public Guid? ChatSessionId { get; init; }
    public Guid? PromptVersionId { get; init; }
    public Guid? ApiKeyId { get; init; }

    /// <summary>The queued job this call answers, named on its usage rows.</summary>
    public Guid? JobId { get; init; }

    /// <summary>The models ("provider/model") an API key limits the call to, fallbacks included; null when any may answer.</summary>
    public IReadOnlySet<string>? AllowedModels { get; init; }

    /// <summary>Correlates this call across logs, traces and the usage row; generated when absent.</summary>
    public string? TraceId { get; init; }

    /// <summary>
    /// The request already took its place in the per-minute limits where it came in (the HTTP API counts
    /// every request, also those a cache, a replay or a running call answers): the gateway does not count it again.
    /// </summary>
    public bool RequestCounted { get; init; }
}

public enum GatewayResponseFormat
{
    Text,
    Json,
    JsonSchema,
}
