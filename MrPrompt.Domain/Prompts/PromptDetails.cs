using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Prompts;

/// <summary>What describes a prompt apart from its versions: key, title, description, tags and who can see it.</summary>
public sealed record PromptDetails(string Key, string Title, string? Description, IReadOnlyList<string> Tags, PromptVisibility Visibility)
{
    /// <summary>Every problem by field; the key, title and tags are also cleaned up by <see cref="Normalized"/>.</summary>
    public FieldErrors Validate()
    {
        var errors = new FieldErrors();
        var normalized = Normalized();
        if (PromptRules.ValidateKey(normalized.Key) is { } key)
        {
            errors.Add(nameof(Key), key);
        }
        if (normalized.Title.Length == 0)
        {
            errors.Add(nameof(Title), "Give the prompt a title.");
        }
        else if (normalized.Title.Length > PromptRules.TitleMaxLength)
        {
            errors.Add(nameof(Title), $"A title can be at most {PromptRules.TitleMaxLength} characters.");
        }
        if (normalized.Description?.Length > PromptRules.DescriptionMaxLength)
        {
            errors.Add(nameof(Description), $"A description can be at most {PromptRules.DescriptionMaxLength:N0} characters.");
        }
        if (normalized.Tags.Count > PromptRules.MaxTags)
        {
            errors.Add(nameof(Tags), $"Use at most {PromptRules.MaxTags} tags.");
        }
        foreach (var tag in normalized.Tags.Where(t => PromptRules.ValidateTag(t) is not null))
        {
            errors.Add(nameof(Tags), PromptRules.ValidateTag(tag)!);
        }
        if ((Title + Description + string.Concat(normalized.Tags)).Contains('\0', StringComparison.Ordinal))
        {
            errors.Add(nameof(Title), "The title, description and tags cannot contain a NUL character.");
        }
        return errors;
    }

    /// <summary>Whether the two describe the prompt the same way once normalised.</summary>
    public bool SameAs(PromptDetails other)
    {
        var (a, b) = (Normalized(), other.Normalized());
        return a.Key == b.Key && a.Title == b.Title && (a.Description ?? "") == (b.Description ?? "") && a.Visibility == b.Visibility
            && a.Tags.SequenceEqual(b.Tags, StringComparer.Ordinal);
    }

    /// <summary>Trimmed, the key and tags lower-cased, tags without duplicates.</summary>
    public PromptDetails Normalized() => this with
    {
        Key = Key.Trim().ToLowerInvariant(),
        Title = Title.Trim(),
        Description = string.IsNullOrWhiteSpace(Description) ? null : Description.Trim(),
        // Null entries can arrive from JSON, whatever the annotations say.
        Tags = (Tags ?? []).OfType<string>().Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList(),
    };
}
