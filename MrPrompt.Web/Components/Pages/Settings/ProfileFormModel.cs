namespace MrPrompt.Web.Components.Pages.Settings;

/// <summary>The editable part of a profile, as the form holds it.</summary>
public sealed class ProfileFormModel
{
    public string DisplayName { get; set; } = "";
    public string? AvatarUrl { get; set; }
    public string TimeZone { get; set; } = MrPrompt.Domain.Profiles.ProfileRules.DefaultTimeZone;
}
