using System.Text.Json.Serialization;
using MrPrompt.Infrastructure.Gateway;

namespace MrPrompt.Web.Endpoints.OpenAi;

/// <summary>A non-streamed answer in OpenAI's <c>chat.completion</c> shape.</summary>
public sealed record ChatCompletion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChatCompletionChoice> Choices,
    [property: JsonPropertyName("usage")] CompletionUsage Usage)
{
    public static ChatCompletion Of(string id, long created, GatewayResult result) => new(
        id, "chat.completion", created, $"{result.Provider}/{result.Model}",
        [new ChatCompletionChoice(0, new AssistantMessage("assistant", result.Text), FinishReasonOf(result))],
        CompletionUsage.Of(result));

    /// <summary>OpenAI's finish reasons; a provider that named none finished normally.</summary>
    public static string FinishReasonOf(GatewayResult result) => result.FinishReason ?? "stop";
}

public sealed record ChatCompletionChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("message")] AssistantMessage Message,
    [property: JsonPropertyName("finish_reason")] string FinishReason);

public sealed record AssistantMessage(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string Content);

public sealed record CompletionUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("total_tokens")] int TotalTokens)
{
    public static CompletionUsage Of(GatewayResult result) =>
        new(result.InputTokens, result.OutputTokens, result.InputTokens + result.OutputTokens);
}

/// <summary>One server-sent event of a streamed answer, OpenAI's <c>chat.completion.chunk</c>.</summary>
public sealed record ChatCompletionChunk(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChunkChoice> Choices,
    [property: JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CompletionUsage? Usage = null)
{
    public const string ObjectName = "chat.completion.chunk";
}

public sealed record ChunkChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("delta")] ChunkDelta Delta,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);

public sealed record ChunkDelta(
    [property: JsonPropertyName("role"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role = null,
    [property: JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content = null);
