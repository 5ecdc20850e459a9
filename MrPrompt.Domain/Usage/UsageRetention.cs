namespace MrPrompt.Domain.Usage;

/// <summary>
/// How long usage rows are kept. Zero keeps them for ever; otherwise at least 31 days, so this
/// month's rows (which budgets and month-to-date spend are read from) are never deleted.
/// </summary>
public static class UsageRetention
{
    public const int Forever = 0;
    public const int MinimumDays = 31;
    public const int MaximumDays = 3650;

    /// <summary>Why <paramref name="days"/> cannot be the retention; null when it can.</summary>
    public static string? Check(int days) =>
        days == Forever || days is >= MinimumDays and <= MaximumDays
            ? null
            : $"Keep usage for {MinimumDays} to {MaximumDays} days, or 0 to keep it for ever.";

    /// <summary>Rows executed before this are deleted; null when nothing is.</summary>
    public static DateTimeOffset? Cutoff(DateTimeOffset now, int days) => days == Forever ? null : now.AddDays(-days);
}
