using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Gateway.Providers;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>Turns whatever a provider SDK threw into a <see cref="ProviderFailure"/>.</summary>
public static class ProviderErrors
{
    public static ProviderFailure Classify(Exception exception, string provider, string model)
    {
        switch (exception)
        {
            case ProviderCallException judged:
                return judged.Failure;
            case GatewayException gateway:
                return new ProviderFailure(gateway.Error, Retryable: false, ProviderFault: gateway.Error.Code == GatewayErrorCode.ProviderUnavailable);
            case ClientResultException { Status: > 0 } openAi:
                return FromStatus(openAi.Status, RetryAfterOf(openAi), openAi.Message, provider, model);
            case ProviderRefusedException refused:
                return FromStatus((int)refused.StatusCode!, refused.RetryAfter, null, provider, model);
            case Anthropic.Exceptions.AnthropicApiException anthropic:
                return FromStatus((int)anthropic.StatusCode, null, anthropic.ApiMessage ?? anthropic.Message, provider, model);
            case Anthropic.Exceptions.AnthropicSseException streamed:
                // An `event: error` frame inside a stream carries an error type instead of a status.
                return FromStatus(StatusOfErrorType(streamed.Type?.Raw()), null, streamed.ApiMessage, provider, model);
            case TimeoutException:
            case TaskCanceledException { InnerException: TimeoutException }:
                return new ProviderFailure(GatewayError.Timeout(provider), Retryable: true, ProviderFault: true);
            case HttpRequestException { StatusCode: { } httpStatus } http:
                return FromStatus((int)httpStatus, null, http.Message, provider, model);
            case HttpRequestException or IOException or SocketException or ClientResultException:
                return new ProviderFailure(GatewayError.ProviderUnavailable(provider), Retryable: true, ProviderFault: true);
            default:
                return exception.InnerException is { } inner && inner != exception && exception is not OperationCanceledException
                    ? Classify(inner, provider, model)
                    : new ProviderFailure(GatewayError.Unknown(provider), Retryable: false, ProviderFault: false);
        }
    }

    public static ProviderFailure FromStatus(int status, TimeSpan? retryAfter, string? message, string provider, string model) => status switch
    {
        400 or 413 or 422 when LooksLikeContextOverflow(message) =>
            new(GatewayError.ContextTooLong(provider), Retryable: false, ProviderFault: false, status),
        400 or 413 or 422 => new(GatewayError.InvalidRequest(provider, null), Retryable: false, ProviderFault: false, status),
        401 or 403 => new(GatewayError.InvalidKey(provider), Retryable: false, ProviderFault: false, status),
        404 => new(GatewayError.ModelNotFound(provider, model), Retryable: false, ProviderFault: false, status),
        // Redirects are not followed (one could point inside); an API that answers with one is not reachable here.
        >= 300 and < 400 => new(GatewayError.ProviderUnavailable(provider), Retryable: false, ProviderFault: true, status),
        408 => new(GatewayError.Timeout(provider), Retryable: true, ProviderFault: true, status),
        429 => new(GatewayError.RateLimited(provider, retryAfter), Retryable: true, ProviderFault: false, status),
        >= 500 => new(GatewayError.ProviderUnavailable(provider) with { RetryAfter = retryAfter }, Retryable: true, ProviderFault: true, status),
        _ => new(GatewayError.Unknown(provider), Retryable: false, ProviderFault: false, status),
    };

    private static bool LooksLikeContextOverflow(string? message) =>
        message is not null && (message.Contains("context_length", StringComparison.OrdinalIgnoreCase)
            || message.Contains("context length", StringComparison.OrdinalIgnoreCase)
            || message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase)
            || message.Contains("too many tokens", StringComparison.OrdinalIgnoreCase));

    private static TimeSpan? RetryAfterOf(ClientResultException exception) =>
        exception.GetRawResponse() is { } response && response.Headers.TryGetValue("Retry-After", out var value)
            ? ParseRetryAfter(value)
            : null;

    /// <summary>Retry-After is either seconds or an HTTP date.</summary>
    public static TimeSpan? ParseRetryAfter(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero
            : null;
    }

    /// <summary>Anthropic's documented error types, as the HTTP status each stands for.</summary>
    private static int StatusOfErrorType(string? type) => type switch
    {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    };
}
