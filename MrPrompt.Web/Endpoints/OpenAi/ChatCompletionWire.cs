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
    /// <summary>The passages the answer was given to cite, when the request named knowledge collections.</summary>
    [JsonPropertyName("citations"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<CitationWire>? Citations { get; init; }

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

    /// <summary>On the first chunk: the passages the answer was given to cite.</summary>
    [JsonPropertyName("citations"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<CitationWire>? Citations { get; init; }
}

/// <summary>A passage an answer may cite as [number].</summary>
public sealed record CitationWire(
    [property: JsonPropertyName("number")] int Number,
    [property: JsonPropertyName("chunk_id")] Guid ChunkId,
    [property: JsonPropertyName("document_id")] Guid DocumentId,
    [property: JsonPropertyName("collection_id")] Guid CollectionId,
    [property: JsonPropertyName("document_title")] string DocumentTitle,
    [property: JsonPropertyName("heading")] string? Heading,
    [property: JsonPropertyName("position")] int Position,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("score")] double Score)
{
    public static CitationWire Of(MrPrompt.Domain.Knowledge.Citation c) =>
        new(c.Number, c.ChunkId, c.DocumentId, c.CollectionId, c.DocumentTitle, c.Heading, c.ChunkIndex, c.Content, c.Score);
}

public sealed record ChunkChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("delta")] ChunkDelta Delta,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);

public sealed record ChunkDelta(
    [property: JsonPropertyName("role"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role = null,
    [property: JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content = null);
