namespace MrPrompt.Infrastructure.Persistence;

/// <summary>Searches typed by people, as ILIKE patterns: their <c>%</c>, <c>_</c> and <c>\</c> match themselves.</summary>
internal static class LikePatterns
{
    /// <summary>The escape character to pass to <c>EF.Functions.ILike</c> with these patterns.</summary>
    public const string Escape = "\\";

    /// <summary>A contains-pattern for <paramref name="search"/>; null when there is nothing to search for.</summary>
    public static string? Containing(string? search)
    {
        if (string.IsNullOrWhiteSpace(search))
        {
            return null;
        }
        var escaped = search.Trim().Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
        return $"%{escaped}%";
    }
}
