namespace MrPrompt.Infrastructure.Usage;

/// <summary>The retention keys of the <c>Usage</c> section: the default admins can change, and how often old rows are swept.</summary>
public sealed class UsageRetentionOptions
{
    public const string SectionName = "Usage";

    /// <summary>Days to keep usage rows until an admin sets otherwise; 0 keeps them for ever.</summary>
    public int RetentionDays { get; set; } = Domain.Usage.UsageRetention.Forever;

    [System.ComponentModel.DataAnnotations.Range(1, 1440)]
    public int RetentionSweepMinutes { get; set; } = 60;
}
