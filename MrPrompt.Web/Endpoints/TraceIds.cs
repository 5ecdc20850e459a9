using System.Diagnostics;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// One id per request, sent back as <c>X-Trace-Id</c> on every response and written on the usage rows
/// of the calls it made, so a program's report leads straight to the log lines and the trace; with the
/// instance that answered (<c>X-Instance</c>), which the request's log lines carry too.
/// </summary>
public static class TraceIds
{
    public const string HeaderName = "X-Trace-Id";
    public const string InstanceHeaderName = "X-Instance";

    public static string Of(HttpContext context) => Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier;

    public static void UseTraceIdHeader(this IApplicationBuilder app)
    {
        var instance = app.ApplicationServices.GetRequiredService<MrPrompt.Infrastructure.Cluster.InstanceIdentity>().Name;
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("MrPrompt.Requests");
        var scope = new Dictionary<string, object> { ["Instance"] = instance };
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[HeaderName] = Of(context);
                context.Response.Headers[InstanceHeaderName] = instance;
                return Task.CompletedTask;
            });
            using (logger.BeginScope(scope))
            {
                await next(context);
            }
        });
    }
}
