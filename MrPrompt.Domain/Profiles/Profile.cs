using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Profiles;

/// <summary>
/// Display data of an account (<c>profiles</c>; docs/contracts.md, "Tables"). Shares its id with the Identity user;
/// the role lives with Identity so authorization has a single source of truth.
/// </summary>
public sealed class Profile : IAuditable
{
    public Guid Id { get; set; }
    public string DisplayName { get; set; } = "";
    public string? AvatarUrl { get; set; }
    public ThemePreference Theme { get; set; } = ThemePreference.System;

    /// <summary>An IANA time zone id; the <c>datetime</c> data loader tells prompts the time here.</summary>
    public string TimeZone { get; set; } = ProfileRules.DefaultTimeZone;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>A new profile named after the part of the email before the '@'.</summary>
    public static Profile CreateFor(Guid userId, string email)
    {
        var at = email.IndexOf('@');
        var name = at > 0 ? email[..at] : email;
        return new Profile
        {
            Id = userId,
            DisplayName = name.Length > ProfileRules.DisplayNameMaxLength ? name[..ProfileRules.DisplayNameMaxLength] : name,
        };
    }
}
