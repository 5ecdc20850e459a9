using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Web.Components.Pages.Admin;

/// <summary>A figure the usage chart can draw, and how to read it off a point: null where there is nothing to draw (no latency without calls).</summary>
public sealed record UsageMetric(string Title, Func<UsagePoint, double?> Value)
{
    public static readonly UsageMetric Requests = new("Requests", p => p.Requests);
    public static readonly UsageMetric Tokens = new("Tokens", p => p.Tokens);
    // In cents: the chart's ticks are whole numbers, and most buckets cost well under a dollar.
    public static readonly UsageMetric Cost = new("Cost (cents)", p => (double)(p.CostUsd * 100));
    public static readonly UsageMetric LatencyP95 = new("p95 latency (ms)", p => p.LatencyP95Ms);

    public static IReadOnlyList<UsageMetric> All { get; } = [Requests, Tokens, Cost, LatencyP95];
}
