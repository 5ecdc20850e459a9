using System.Text.Json;
using System.Text.Json.Serialization;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Prompts;

namespace MrPrompt.Web.Endpoints.GatewayApi;

/// <summary>The gateway request: run a prompt by key, whole (<c>complete</c>) or streamed (<c>stream</c>) (docs/contracts.md, "Gateway API").</summary>
public sealed record GatewayApiRequest
{
    public const string Complete = "complete";
    public const string Stream = "stream";

    [JsonPropertyName("action")] public string? Action { get; init; }
    [JsonPropertyName("payload")] public GatewayPayload? Payload { get; init; }

    /// <summary>The body's alternative to the <c>Idempotency-Key</c> header (docs/contracts.md, "Idempotency").</summary>
    [JsonPropertyName("idempotency_key")] public string? IdempotencyKey { get; init; }

    public bool Streamed => Action == Stream;

    /// <summary>The first thing wrong with the request, naming the field; null when it can run.</summary>
    public GatewayApiError? Validate()
    {
        if (Action is not (Complete or Stream))
        {
            return GatewayApiError.Invalid("action must be \"complete\" or \"stream\".");
        }
        if (string.IsNullOrWhiteSpace(Payload?.PromptKey))
        {
            return GatewayApiError.Invalid("payload.prompt_key is required: the key of one of your prompts or of a built-in prompt.");
        }
        if (Payload.DataLoaders?.Any(string.IsNullOrWhiteSpace) == true)
        {
            return GatewayApiError.Invalid("payload.data_loaders must list loader names, such as \"user-profile\".");
        }
        var options = Payload.Options;
        return options switch
        {
            { CacheTtl: < 0 or > GatewayCallOptions.MaxCacheTtlSeconds } =>
                GatewayApiError.Invalid($"options.cache_ttl must be between 0 and {GatewayCallOptions.MaxCacheTtlSeconds} seconds."),
            { Temperature: < 0 or > ChatRules.MaxTemperature } => GatewayApiError.Invalid($"options.temperature must be between 0 and {ChatRules.MaxTemperature}."),
            { MaxTokens: < 1 } => GatewayApiError.Invalid("options.max_tokens must be at least 1."),
            { Version: < 1 } => GatewayApiError.Invalid("options.version must be a version number, 1 or more."),
            { Version: not null, Label: not null } => GatewayApiError.Invalid("Give options.version or options.label, not both."),
            _ => null,
        };
    }

    public PromptSelector Selector => new(Key: Payload!.PromptKey!.Trim(), Version: Payload.Options?.Version, Label: Payload.Options?.Label);

    /// <summary>The caller's variables as template values (JSON values keep their structure for nested paths).</summary>
    public IReadOnlyDictionary<string, object?> Variables =>
        Payload?.Variables?.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal) ?? [];
}

public sealed record GatewayPayload
{
    [JsonPropertyName("prompt_key")] public string? PromptKey { get; init; }
    [JsonPropertyName("data_loaders")] public IReadOnlyList<string>? DataLoaders { get; init; }
    [JsonPropertyName("variables")] public Dictionary<string, JsonElement>? Variables { get; init; }
    [JsonPropertyName("options")] public GatewayCallOptions? Options { get; init; }
}

public sealed record GatewayCallOptions
{
    public const int MaxCacheTtlSeconds = 30 * 24 * 3600;

    /// <summary>Seconds to keep the answer for identical requests; 0 or absent means no caching.</summary>
    [JsonPropertyName("cache_ttl")] public int? CacheTtl { get; init; }
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("temperature")] public float? Temperature { get; init; }
    [JsonPropertyName("max_tokens")] public int? MaxTokens { get; init; }
    [JsonPropertyName("version")] public int? Version { get; init; }
    [JsonPropertyName("label")] public string? Label { get; init; }
}
