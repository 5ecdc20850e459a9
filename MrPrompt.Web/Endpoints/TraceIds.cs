using System.Diagnostics;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// One id per request, sent back as <c>X-Trace-Id</c> on every response and written on the usage rows
/// of the calls it made, so a program's report leads straight to the log lines and the trace.
/// </summary>
public static class TraceIds
{
    public const string HeaderName = "X-Trace-Id";

    public static string Of(HttpContext context) => Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier;

    public static void UseTraceIdHeader(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[HeaderName] = Of(context);
                return Task.CompletedTask;
            });
            return next(context);
        });
}
