using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: it can also reach the database, and is not leaving the fleet
/// (from SIGTERM on it reports false while it drains, so a load balancer sends it nothing new).
/// </summary>
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

/// <summary>Unhealthy from the moment the instance starts shutting down: it is draining, not taking new work.</summary>
public sealed class DrainingHealthCheck(IHostApplicationLifetime lifetime) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("draining: shutting down")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
}
