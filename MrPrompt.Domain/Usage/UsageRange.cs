namespace MrPrompt.Domain.Usage;

/// <summary>The time ranges the usage page offers before an admin picks dates of their own.</summary>
public enum UsageRange
{
    Last24Hours,
    Last7Days,
    Last30Days,
    Last90Days,
}

public static class UsageRanges
{
    /// <summary>
    /// What the usage page shows first: the last day, as the provider health does. Longer ranges are a
    /// click away; each costs about what its rows do (see bench/README.md).
    /// </summary>
    public const UsageRange Default = UsageRange.Last24Hours;

    public static TimeSpan Length(UsageRange range) => range switch
    {
        UsageRange.Last24Hours => TimeSpan.FromHours(24),
        UsageRange.Last7Days => TimeSpan.FromDays(7),
        UsageRange.Last30Days => TimeSpan.FromDays(30),
        UsageRange.Last90Days => TimeSpan.FromDays(90),
        _ => throw new ArgumentOutOfRangeException(nameof(range), range, null),
    };

    /// <summary>
    /// The range ending now. <see cref="UsageFilter.To"/> is exclusive and Postgres keeps microseconds,
    /// so it ends a microsecond after now: a row written this instant is in.
    /// </summary>
    public static UsageFilter Ending(UsageRange range, DateTimeOffset now) =>
        new(now - Length(range), now.AddTicks(TimeSpan.TicksPerMicrosecond));

    /// <summary>Whole UTC days from <paramref name="first"/> through <paramref name="last"/>, both included.</summary>
    public static UsageFilter Days(DateOnly first, DateOnly last) =>
        new(new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
            new DateTimeOffset(last.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
}
