using System.ComponentModel.DataAnnotations;

namespace MrPrompt.Infrastructure.Cluster;

/// <summary>The <c>Shutdown</c> section: how an instance leaves the fleet on SIGTERM.</summary>
public sealed class ShutdownOptions
{
    public const string SectionName = "Shutdown";

    /// <summary>
    /// How long running answers may go on after SIGTERM (<c>Shutdown__DrainSeconds</c>); whatever is still running then is
    /// handed back to the queue and started again by another instance. Readiness reports false for the whole time.
    /// </summary>
    [Range(0, 3600)]
    public double DrainSeconds { get; set; } = 30;

    public TimeSpan Drain => TimeSpan.FromSeconds(DrainSeconds);
}
