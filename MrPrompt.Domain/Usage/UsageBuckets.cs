namespace MrPrompt.Domain.Usage;

/// <summary>
/// How wide a chart's time buckets are for a range: the narrowest of a few round widths that keeps
/// the chart to about <see cref="MaxPoints"/> points (a day in 15 minutes, a week in 3 hours, a month
/// in 12 hours, a quarter in days); ranges of more than two years keep to weeks and have more points.
/// </summary>
public static class UsageBuckets
{
    public const int MaxPoints = 100;

    /// <summary>Buckets start at whole multiples from this Monday, midnight UTC, so weeks start on Mondays.</summary>
    public static readonly DateTimeOffset Origin = new(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan[] Widths =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1),
        TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1), TimeSpan.FromDays(7),
    ];

    public static TimeSpan For(TimeSpan range) =>
        Widths.FirstOrDefault(width => range.Ticks / width.Ticks <= MaxPoints, Widths[^1]);

    /// <summary>The start of the bucket holding <paramref name="time"/>.</summary>
    public static DateTimeOffset Start(DateTimeOffset time, TimeSpan width)
    {
        var sinceOrigin = time.UtcTicks - Origin.UtcTicks;
        var offset = sinceOrigin % width.Ticks;
        return new DateTimeOffset(time.UtcTicks - (offset < 0 ? offset + width.Ticks : offset), TimeSpan.Zero);
    }

    /// <summary>Every bucket start that [<paramref name="from"/>, <paramref name="to"/>) touches, empty ones included, so a chart has no holes in time.</summary>
    public static IReadOnlyList<DateTimeOffset> Starts(DateTimeOffset from, DateTimeOffset to, TimeSpan width)
    {
        var starts = new List<DateTimeOffset>();
        for (var start = Start(from, width); start < to; start += width)
        {
            starts.Add(start);
        }
        return starts;
    }
}
