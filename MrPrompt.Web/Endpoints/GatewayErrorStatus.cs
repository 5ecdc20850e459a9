using MrPrompt.Domain.Gateway;

namespace MrPrompt.Web.Endpoints;

/// <summary>The HTTP status that honestly describes a gateway failure to a program: its mistake (4xx) or the upstream's (5xx).</summary>
public static class GatewayErrorStatus
{
    public static int Of(GatewayError error) => error.Code switch
    {
        GatewayErrorCode.UnknownModel or GatewayErrorCode.ModelNotFound => StatusCodes.Status404NotFound,
        GatewayErrorCode.MissingCredential or GatewayErrorCode.CredentialNeedsReentry or GatewayErrorCode.CredentialExpired
            or GatewayErrorCode.InvalidKey or GatewayErrorCode.ContextTooLong or GatewayErrorCode.InvalidRequest
            or GatewayErrorCode.ModelNotOffered => StatusCodes.Status400BadRequest,
        GatewayErrorCode.PriceUnknown or GatewayErrorCode.AccountDisabled or GatewayErrorCode.ModelNotForRole => StatusCodes.Status403Forbidden,
        GatewayErrorCode.AnswerTooLong => StatusCodes.Status502BadGateway,
        GatewayErrorCode.RateLimited or GatewayErrorCode.UsageLimited or GatewayErrorCode.BudgetExhausted => StatusCodes.Status429TooManyRequests,
        GatewayErrorCode.ProviderUnavailable => StatusCodes.Status503ServiceUnavailable,
        GatewayErrorCode.Timeout => StatusCodes.Status504GatewayTimeout,
        GatewayErrorCode.Cancelled => StatusCodes.Status499ClientClosedRequest,
        GatewayErrorCode.IdempotencyKeyReused => StatusCodes.Status422UnprocessableEntity,
        GatewayErrorCode.RequestInProgress => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status502BadGateway,
    };

    /// <summary>Sets Retry-After in whole seconds when there is a known wait.</summary>
    public static void AddRetryAfter(HttpResponse response, TimeSpan? retryAfter)
    {
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
