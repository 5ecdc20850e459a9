using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Profiles;

/// <summary>What a valid profile looks like; the UI shows these messages and the service enforces them.</summary>
public static class ProfileRules
{
    public const int DisplayNameMaxLength = 80;
    public const int AvatarUrlMaxLength = 2048;

    public const string DisplayNameField = nameof(Profile.DisplayName);
    public const string AvatarUrlField = nameof(Profile.AvatarUrl);
    public const string TimeZoneField = nameof(Profile.TimeZone);
    public const string DefaultTimeZone = "UTC";
    public const int TimeZoneMaxLength = 64;

    /// <summary>Null when <paramref name="timeZone"/> is a time zone this server knows (IANA ids such as Europe/Paris), else why not.</summary>
    public static string? ValidateTimeZone(string? timeZone) =>
        string.IsNullOrWhiteSpace(timeZone) || timeZone.Length > TimeZoneMaxLength || !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone.Trim(), out _)
            ? "Pick a time zone from the list, such as Europe/Paris or UTC."
            : null;

    public static string? ValidateDisplayName(string? displayName)
    {
        var trimmed = displayName?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            return "Enter a display name.";
        }
        if (trimmed.Length > DisplayNameMaxLength)
        {
            return $"Use at most {DisplayNameMaxLength} characters (this one has {trimmed.Length}).";
        }
        if (trimmed.Any(char.IsControl))
        {
            return "The display name cannot contain control characters.";
        }
        return null;
    }

    /// <summary>
    /// Only absolute http(s) URLs: anything else (javascript:, data:, relative paths) could run script
    /// or leak requests when rendered as an image source.
    /// </summary>
    public static string? ValidateAvatarUrl(string? avatarUrl)
    {
        if (string.IsNullOrWhiteSpace(avatarUrl))
        {
            return null;
        }
        var trimmed = avatarUrl.Trim();
        if (trimmed.Length > AvatarUrlMaxLength)
        {
            return $"Use at most {AvatarUrlMaxLength} characters.";
        }
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            return "Enter a full web address starting with http:// or https://.";
        }
        return null;
    }

    public static FieldErrors Validate(string? displayName, string? avatarUrl)
    {
        var errors = new FieldErrors();
        if (ValidateDisplayName(displayName) is { } nameError)
        {
            errors.Add(DisplayNameField, nameError);
        }
        if (ValidateAvatarUrl(avatarUrl) is { } urlError)
        {
            errors.Add(AvatarUrlField, urlError);
        }
        return errors;
    }

    /// <summary>The stored form: trimmed, with an empty avatar URL meaning none.</summary>
    public static (string DisplayName, string? AvatarUrl) Normalize(string displayName, string? avatarUrl) =>
        (displayName.Trim(), string.IsNullOrWhiteSpace(avatarUrl) ? null : avatarUrl.Trim());
}
