using System.Text.Json.Serialization;
using MrPrompt.Domain.Gateway;

namespace MrPrompt.Web.Endpoints.OpenAi;

/// <summary>OpenAI's error body, <c>{"error": {"message", "type", "param", "code"}}</c>, with the status it goes out with.</summary>
public sealed record OpenAiError([property: JsonPropertyName("error")] OpenAiErrorBody Error)
{
    [JsonIgnore] public int Status { get; init; } = StatusCodes.Status400BadRequest;

    [JsonIgnore] public TimeSpan? RetryAfter { get; init; }

    public static OpenAiError Of(int status, string message, string type, string? code, string? param = null) =>
        new(new OpenAiErrorBody(message, type, param, code)) { Status = status };

    public static OpenAiError Invalid(string param, string message) =>
        Of(StatusCodes.Status400BadRequest, message, "invalid_request_error", "invalid_value", param);

    public static OpenAiError From(GatewayError error)
    {
        var status = GatewayErrorStatus.Of(error);
        var type = status switch
        {
            StatusCodes.Status429TooManyRequests => "rate_limit_error",
            StatusCodes.Status404NotFound => "invalid_request_error",
            < 500 => "invalid_request_error",
            _ => "api_error",
        };
        return Of(status, error.Message, type, error.CodeName) with { RetryAfter = error.RetryAfter };
    }

    public IResult ToResult(HttpContext context)
    {
        GatewayErrorStatus.AddRetryAfter(context.Response, RetryAfter);
        return TypedResults.Json(this, statusCode: Status);
    }
}

public sealed record OpenAiErrorBody(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);
