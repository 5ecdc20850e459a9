namespace MrPrompt.Domain.Settings;

/// <summary>
/// A setting admins change at run time (configuration only gives its default), stored as text by
/// key so a new setting needs no new table.
/// </summary>
public sealed class AppSetting
{
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The admin who last changed it.</summary>
    public Guid? UpdatedBy { get; set; }
}

/// <summary>The keys of <see cref="AppSetting"/>s.</summary>
public static class AppSettingKeys
{
    public const string UsageRetentionDays = "usage.retention_days";

    /// <summary>The prompt labels only Authors and Admins may move, comma-separated.</summary>
    public const string ProtectedPromptLabels = "prompts.protected_labels";
}
