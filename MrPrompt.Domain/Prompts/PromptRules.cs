using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Prompts;

/// <summary>The shape of keys, tags, labels and notes; the UI shows these messages and the services enforce them.</summary>
public static class PromptRules
{
    public const int KeyMaxLength = 64;
    public const int TitleMaxLength = 120;
    public const int DescriptionMaxLength = 2_000;
    public const int MaxTags = 10;
    public const int TagMaxLength = 32;
    public const int LabelMaxLength = 32;
    public const int ChangeNoteMaxLength = 500;

    /// <summary>Null when <paramref name="key"/> is a slug such as <c>listing-description</c>, else what is wrong.</summary>
    public static string? ValidateKey(string key) =>
        key.Length == 0 ? "Give the prompt a key, such as listing-description."
        : key.Length > KeyMaxLength ? $"A key can be at most {KeyMaxLength} characters."
        : !IsSlug(key) ? "A key uses lower-case letters, digits and single hyphens, such as listing-description."
        : null;

    public static string? ValidateTag(string tag) =>
        tag.Length > TagMaxLength ? $"A tag can be at most {TagMaxLength} characters ('{tag[..TagMaxLength]}…')."
        : !IsSlug(tag) ? $"'{tag}' is not a valid tag: use lower-case letters, digits and hyphens."
        : null;

    public static string? ValidateLabel(string label) =>
        label.Length == 0 ? "Name the label, such as production or staging."
        : label.Length > LabelMaxLength ? $"A label can be at most {LabelMaxLength} characters."
        : !IsSlug(label) ? "A label uses lower-case letters, digits and single hyphens, such as production."
        : null;

    public static string? ValidateChangeNote(string? note) =>
        note?.Length > ChangeNoteMaxLength ? $"A change note can be at most {ChangeNoteMaxLength} characters."
        : note?.Contains('\0', StringComparison.Ordinal) == true ? "The change note cannot contain a NUL character."
        : null;

    /// <summary>A free-form title turned into a key: "Listing description!" becomes <c>listing-description</c>.</summary>
    public static string KeyFromTitle(string title) => Slug.Of(title, KeyMaxLength);

    private static bool IsSlug(string text) =>
        text.Length > 0
        && text.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && text[0] != '-' && text[^1] != '-'
        && !text.Contains("--", StringComparison.Ordinal);
}
