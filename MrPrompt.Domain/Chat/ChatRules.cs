namespace MrPrompt.Domain.Chat;

/// <summary>Limits and derived values of chats that hold whatever the configuration says.</summary>
public static class ChatRules
{
    public const string NewChatTitle = "New chat";
    public const int TitleMaxLength = 120;
    public const int SystemPromptMaxLength = 20_000;
    public const int MinCompareModels = 2;
    public const int MaxCompareModels = 4;
    public const float MaxTemperature = 2f;

    private const int FallbackTitleWords = 6;
    private const int FallbackTitleLength = 60;

    /// <summary>The title a chat gets before (or instead of) a generated one: the first words of its first message.</summary>
    public static string TitleFromFirstWords(string text)
    {
        var words = text.Split((char[]?)null, FallbackTitleWords + 1, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return NewChatTitle;
        }
        var title = string.Join(' ', words.Take(FallbackTitleWords));
        var shortened = words.Length > FallbackTitleWords;
        if (title.Length > FallbackTitleLength)
        {
            title = title[..FallbackTitleLength].TrimEnd();
            shortened = true;
        }
        return shortened ? title + "…" : title;
    }

    /// <summary>A model's suggested title, cleaned: one line, no quotes or trailing period, bounded; null when nothing usable is left.</summary>
    public static string? CleanGeneratedTitle(string? suggestion)
    {
        var line = suggestion?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (line is null)
        {
            return null;
        }
        line = line.TrimStart('#', ' ').Replace("Title:", "", StringComparison.OrdinalIgnoreCase).Trim().Trim('"', '\'', '*', '`', ' ').TrimEnd('.');
        if (line.Length == 0)
        {
            return null;
        }
        return line.Length > FallbackTitleLength ? line[..FallbackTitleLength].TrimEnd() + "…" : line;
    }

    /// <summary>Null when the title can be saved, else why not.</summary>
    public static string? ValidateTitle(string? title) =>
        string.IsNullOrWhiteSpace(title) ? "A title cannot be empty."
        : title.Trim().Length > TitleMaxLength ? $"A title can be at most {TitleMaxLength} characters."
        : title.Contains('\0', StringComparison.Ordinal) ? "A title cannot contain a NUL character."
        : null;
}
