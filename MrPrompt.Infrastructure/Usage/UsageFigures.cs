using MrPrompt.Domain.Usage;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>
/// What a set of usage rows adds up to. Each row is one attempt, so a retried call counts each try.
/// Latency leaves out calls refused before any attempt; time to first token counts streamed answers only.
/// </summary>
public sealed record UsageTotals(
    long Requests,
    long InputTokens,
    long OutputTokens,
    decimal CostUsd,
    long UnpricedRequests,
    long Errors,
    double? LatencyP50Ms,
    double? LatencyP95Ms,
    double? TimeToFirstTokenP50Ms,
    double? TimeToFirstTokenP95Ms)
{
    public static readonly UsageTotals None = new(0, 0, 0, 0, 0, 0, null, null, null, null);

    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;
}

/// <summary>One group of the breakdown: its key (a provider, "provider/model", a user or prompt version id; empty for rows without one) and a label for people.</summary>
public sealed record UsageGroup(string Key, string Label, UsageTotals Totals);

/// <summary>The breakdown's groups, most requests first, and whether more groups than were listed matched.</summary>
public sealed record UsageBreakdown(UsageGrouping Grouping, IReadOnlyList<UsageGroup> Groups, bool Truncated);

/// <summary>One chart bucket: what started in [<see cref="Start"/>, Start + bucket width).</summary>
public sealed record UsagePoint(DateTimeOffset Start, long Requests, long Tokens, decimal CostUsd, double? LatencyP95Ms);

/// <summary>Figures over time, one point per bucket including empty ones.</summary>
public sealed record UsageSeries(TimeSpan Bucket, IReadOnlyList<UsagePoint> Points);

/// <summary>The figures above the usage grid for one filter.</summary>
public sealed record UsageOverview(UsageTotals Totals, UsageBreakdown Breakdown, UsageSeries Series);

/// <summary>One usage row as the admin pages and the CSV export show it, with who, which key and which prompt by name.</summary>
public sealed record UsageRow
{
    public Guid Id { get; init; }
    public DateTimeOffset ExecutedAt { get; init; }
    public string? TraceId { get; init; }
    public Guid UserId { get; init; }
    public string? UserEmail { get; init; }
    public UsageSource Source { get; init; }
    public Guid? ApiKeyId { get; init; }
    public string? ApiKeyName { get; init; }
    public string Provider { get; init; } = "";
    public string Model { get; init; } = "";
    public Guid? PromptVersionId { get; init; }
    public string? PromptKey { get; init; }
    public int? PromptVersion { get; init; }
    public UsageStatus Status { get; init; }
    public string? ErrorCode { get; init; }
    public int Attempt { get; init; }
    public int InputTokens { get; init; }
    public int OutputTokens { get; init; }
    public bool TokensEstimated { get; init; }
    public decimal? CostUsd { get; init; }
    public int LatencyMs { get; init; }
    public int? TimeToFirstTokenMs { get; init; }
    public Guid? ChatSessionId { get; init; }
}

/// <summary>One page of rows and how many rows the whole filter matches.</summary>
public sealed record UsageRowsPage(IReadOnlyList<UsageRow> Rows, long Total);

/// <summary>A prompt the usage page can filter by, with its versions, newest first.</summary>
public sealed record UsagePromptChoice(Guid PromptId, string Key, string Title, string? OwnerEmail, IReadOnlyList<(Guid Id, int Number)> Versions);

/// <summary>The columns the usage grid can sort by.</summary>
public enum UsageSort
{
    ExecutedAt,
    LatencyMs,
    TimeToFirstTokenMs,
    InputTokens,
    OutputTokens,
    CostUsd,
}

/// <summary>One page of rows in the asked order.</summary>
public sealed record UsagePageRequest(UsageSort Sort = UsageSort.ExecutedAt, bool Descending = true, int Skip = 0, int Take = 50)
{
    public const int MaxTake = 500;
}
