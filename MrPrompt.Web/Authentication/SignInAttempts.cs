using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Accounts;

namespace MrPrompt.Web.Authentication;

/// <summary>
/// The rate limit on the sign-in and registration forms, per client address (behind a proxy, the one it
/// forwards, see ForwardedHeaders): guessing passwords from one address stops at a few a minute, whoever
/// the target. Reading the forms is not limited.
/// </summary>
internal static class SignInAttempts
{
    public const string Policy = "sign-in";

    public static void AddSignInAttemptLimit(this IServiceCollection services) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Policy, context =>
            {
                if (!HttpMethods.IsPost(context.Request.Method))
                {
                    return RateLimitPartition.GetNoLimiter("");
                }
                var perMinute = context.RequestServices.GetRequiredService<IOptions<AccountOptions>>().Value.SignInAttemptsPerMinute;
                return RateLimitPartition.GetSlidingWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "", _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = perMinute,
                    Window = TimeSpan.FromMinutes(1),
                    SegmentsPerWindow = 6,
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "60";
                rejected.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
                await rejected.HttpContext.Response.WriteAsync("Too many attempts from your address. Wait a minute, then try again.", cancellationToken);
            };
        });
}
