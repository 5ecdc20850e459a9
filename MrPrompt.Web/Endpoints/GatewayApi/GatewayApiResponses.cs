using System.Text.Json.Serialization;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Gateway;

namespace MrPrompt.Web.Endpoints.GatewayApi;

/// <summary>The success body, <c>{success: true, data: {...}}</c> (docs/contracts.md, "Gateway API").</summary>
public sealed record GatewayApiSuccess([property: JsonPropertyName("data")] GatewayAnswer Data)
{
    [JsonPropertyName("success")] public bool Success => true;
}

public sealed record GatewayAnswer(
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("usage")] GatewayUsage Usage,
    [property: JsonPropertyName("cached")] bool Cached,
    [property: JsonPropertyName("cache_key"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CacheKey)
{
    public static GatewayAnswer Of(GatewayResult result, string? cacheKey) =>
        new(result.Text, $"{result.Provider}/{result.Model}", GatewayUsage.Of(result), result.Cached, cacheKey);
}

public sealed record GatewayUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("total_tokens")] int TotalTokens)
{
    public static GatewayUsage Of(GatewayResult result) => new(result.InputTokens, result.OutputTokens, result.InputTokens + result.OutputTokens);
}

/// <summary>The error body, <c>{success: false, error: {code, message}}</c>, with the status it goes out with (docs/contracts.md, "Gateway API").</summary>
public sealed record GatewayApiError([property: JsonPropertyName("error")] GatewayApiErrorBody Error)
{
    [JsonPropertyName("success")] public bool Success => false;

    [JsonIgnore] public int Status { get; init; } = StatusCodes.Status400BadRequest;

    [JsonIgnore] public TimeSpan? RetryAfter { get; init; }

    public static GatewayApiError Of(int status, string code, string message) => new(new GatewayApiErrorBody(code, message)) { Status = status };

    public static GatewayApiError Invalid(string message) => Of(StatusCodes.Status400BadRequest, "invalid_request", message);

    public static GatewayApiError From(GatewayError error) =>
        Of(GatewayErrorStatus.Of(error), error.CodeName, error.Message) with { RetryAfter = error.RetryAfter };

    public IResult ToResult(HttpContext context)
    {
        GatewayErrorStatus.AddRetryAfter(context.Response, RetryAfter);
        return TypedResults.Json(this, statusCode: Status);
    }
}

public sealed record GatewayApiErrorBody(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message);

/// <summary>The payloads of the stream frames (docs/contracts.md, "Gateway stream frames").</summary>
public static class GatewayFrames
{
    public sealed record Ready([property: JsonPropertyName("trace_id")] string TraceId);

    public sealed record Delta([property: JsonPropertyName("text")] string Text);

    public sealed record Done(
        [property: JsonPropertyName("content")] string Content,
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("usage")] GatewayUsage Usage,
        [property: JsonPropertyName("cached")] bool Cached);
}
