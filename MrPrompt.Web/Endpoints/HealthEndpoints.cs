using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace MrPrompt.Web.Endpoints;

/// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: it can also reach the database.</summary>
public static class HealthEndpoints
{
    public const string BasePath = "/health";
    public const string ReadyTag = "ready";

    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks($"{BasePath}/live", new HealthCheckOptions { Predicate = _ => false })
            .WithName("HealthLive").AllowAnonymous();
        app.MapHealthChecks($"{BasePath}/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) })
            .WithName("HealthReady").AllowAnonymous();
    }
}
