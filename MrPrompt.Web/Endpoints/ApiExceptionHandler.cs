using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// Unhandled errors on HTTP endpoints become ProblemDetails without internals; pages fall through to
/// the friendly error page instead.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    private static readonly string[] ApiPrefixes = ["/api", "/v1", HealthEndpoints.BasePath];

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!ApiPrefixes.Any(prefix => httpContext.Request.Path.StartsWithSegments(prefix)))
        {
            return false;
        }
        LogUnhandled(logger, exception, httpContext.Request.Path);
        httpContext.Response.StatusCode = StatusCodes.Status500InternalServerError;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Something went wrong on our side.",
                Detail = "The error was logged. Try again, and contact the administrator if it persists.",
                Extensions = { ["traceId"] = System.Diagnostics.Activity.Current?.Id ?? httpContext.TraceIdentifier },
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, PathString path);
}
