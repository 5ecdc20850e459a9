using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Web.Authentication;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace MrPrompt.Web.Endpoints.OpenAi;

/// <summary>
/// The body of OpenAI's <c>POST /v1/chat/completions</c>, the text subset MrPrompt serves. Fields
/// that would change the answer and that the gateway cannot honour (tools, several choices, images)
/// are refused by name rather than silently ignored.
/// </summary>
public sealed record ChatCompletionRequest
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("messages")] public IReadOnlyList<ChatCompletionMessage>? Messages { get; init; }
    [JsonPropertyName("stream")] public bool? Stream { get; init; }
    [JsonPropertyName("stream_options")] public StreamOptions? StreamOptions { get; init; }
    [JsonPropertyName("temperature")] public float? Temperature { get; init; }
    [JsonPropertyName("max_tokens")] public int? MaxTokens { get; init; }
    [JsonPropertyName("max_completion_tokens")] public int? MaxCompletionTokens { get; init; }
    [JsonPropertyName("response_format")] public ResponseFormat? ResponseFormat { get; init; }
    [JsonPropertyName("n")] public int? N { get; init; }
    [JsonPropertyName("tools")] public JsonElement? Tools { get; init; }

    /// <summary>MrPrompt's own: knowledge collection ids the last user message is searched in; the answer is asked to cite what they return.</summary>
    [JsonPropertyName("knowledge")] public IReadOnlyList<Guid>? Knowledge { get; init; }

    public bool Streamed => Stream == true;

    public bool IncludeUsage => StreamOptions?.IncludeUsage == true;

    /// <summary>The gateway call this asks for, or the first thing wrong with it, naming the field.</summary>
    public (GatewayRequest? Request, OpenAiError? Error) ToGatewayRequest(ApiCaller caller, string traceId)
    {
        if (!ModelRef.TryParse(Model, out var model))
        {
            return Invalid("model", "model is required and names a model as provider/model, for example echo/echo. GET /v1/models lists them.");
        }
        if (!caller.MayUse(model))
        {
            return (null, OpenAiError.Of(403, $"This API key may not use {model}.", "permission_error", "model_not_allowed", "model"));
        }
        if (Messages is not { Count: > 0 })
        {
            return Invalid("messages", "messages must hold at least one message.");
        }
        if (N is > 1)
        {
            return Invalid("n", "Only one choice per request is supported (n = 1).");
        }
        if (Tools is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
        {
            return Invalid("tools", "Tools are not supported by this endpoint.");
        }
        if (Temperature is { } temperature && (temperature < 0 || temperature > ChatRules.MaxTemperature))
        {
            return Invalid("temperature", $"temperature must be between 0 and {ChatRules.MaxTemperature}.");
        }
        var maxTokens = MaxCompletionTokens ?? MaxTokens;
        if (maxTokens is < 1)
        {
            return Invalid(MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens", "The token limit must be at least 1.");
        }
        if (Knowledge is { Count: > SessionSettings.MaxKnowledgeCollections })
        {
            return Invalid("knowledge", $"knowledge names at most {SessionSettings.MaxKnowledgeCollections} collections.");
        }
        var (format, schema, formatError) = ResponseFormat.ToGateway(ResponseFormat);
        if (formatError is not null)
        {
            return Invalid("response_format", formatError);
        }

        var messages = new List<AiChatMessage>(Messages.Count);
        for (var i = 0; i < Messages.Count; i++)
        {
            if (Messages[i] is null)
            {
                return Invalid($"messages[{i}]", "Each message must be an object with a role and content.");
            }
            var (message, error) = Messages[i].ToChatMessage();
            if (error is not null)
            {
                return Invalid($"messages[{i}]", error);
            }
            messages.Add(message!);
        }
        return (new GatewayRequest
        {
            UserId = caller.UserId,
            ApiKeyId = caller.KeyId,
            AllowedModels = caller.ModelLimit,
            Model = model,
            Messages = messages,
            Temperature = Temperature,
            MaxOutputTokens = maxTokens,
            ResponseFormat = format,
            JsonSchema = schema,
            Source = UsageSource.Api,
            TraceId = traceId,
        }, null);
    }

    private static (GatewayRequest?, OpenAiError?) Invalid(string param, string message) =>
        (null, OpenAiError.Invalid(param, message));
}

public sealed record StreamOptions([property: JsonPropertyName("include_usage")] bool? IncludeUsage);

public sealed record ChatCompletionMessage
{
    [JsonPropertyName("role")] public string? Role { get; init; }

    /// <summary>A string, or an array of content parts of which only text parts are served.</summary>
    [JsonPropertyName("content")] public JsonElement Content { get; init; }

    public (AiChatMessage? Message, string? Error) ToChatMessage()
    {
        AiChatRole? role = Role switch
        {
            "system" or "developer" => AiChatRole.System,
            "user" => AiChatRole.User,
            "assistant" => AiChatRole.Assistant,
            _ => null,
        };
        if (role is null)
        {
            return (null, $"role must be system, developer, user or assistant, not '{Role}'.");
        }
        var (text, error) = TextOf(Content);
        return error is null ? (new AiChatMessage(role.Value, text), null) : (null, error);
    }

    private static (string Text, string? Error) TextOf(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return (content.GetString()!, null);
            case JsonValueKind.Array:
                var text = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.GetString() != "text"
                        || !part.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
                    {
                        return ("", "Only text content parts ({\"type\": \"text\", \"text\": ...}) are supported.");
                    }
                    text.Append(value.GetString());
                }
                return (text.ToString(), null);
            default:
                return ("", "content must be a string or an array of text parts.");
        }
    }
}

public sealed record ResponseFormat
{
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("json_schema")] public JsonSchemaFormat? JsonSchema { get; init; }

    public static (GatewayResponseFormat Format, JsonElement? Schema, string? Error) ToGateway(ResponseFormat? format) => format?.Type switch
    {
        null or "text" => (GatewayResponseFormat.Text, null, null),
        "json_object" => (GatewayResponseFormat.Json, null, null),
        "json_schema" when format.JsonSchema?.Schema is { ValueKind: JsonValueKind.Object } schema => (GatewayResponseFormat.JsonSchema, schema, null),
        "json_schema" => (GatewayResponseFormat.Text, null, "json_schema needs a json_schema.schema object."),
        _ => (GatewayResponseFormat.Text, null, $"type must be text, json_object or json_schema, not '{format.Type}'."),
    };
}

public sealed record JsonSchemaFormat(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("schema")] JsonElement? Schema);
