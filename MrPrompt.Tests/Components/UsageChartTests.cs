using Bunit;
using MrPrompt.Infrastructure.Usage;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Pages.Admin;

namespace MrPrompt.Tests.Components;

/// <summary>The usage chart draws the chosen figure per bucket, labels time sparingly and says when there is nothing to draw.</summary>
public sealed class UsageChartTests : IAsyncDisposable
{
    private readonly BunitContext _context = MudComponents.CreateContext();

    public UsageChartTests() =>
        // The chart sizes itself to its box, which a browser measures; here the box is 800 × 260.
        _context.JSInterop.Setup<MudBlazor.Interop.ElementSize>("mudObserveElementSize", _ => true)
            .SetResult(new MudBlazor.Interop.ElementSize { Width = 800, Height = 260 });

    private static readonly DateTimeOffset Start = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A week in 3-hour buckets: requests rise by one a bucket, tokens are a thousand times that, the middle bucket has no calls.</summary>
    private static UsageSeries Week()
    {
        var bucket = TimeSpan.FromHours(3);
        var points = Enumerable.Range(0, 56).Select(i => i == 28
            ? new UsagePoint(Start + i * bucket, 0, 0, 0, null)
            : new UsagePoint(Start + i * bucket, i + 1, (i + 1) * 1000, (i + 1) * 0.01m, 400 + i)).ToList();
        return new UsageSeries(bucket, points);
    }

    [Fact]
    public void Requests_are_drawn_first_with_at_most_ten_time_labels()
    {
        var chart = _context.Render<UsageChart>(p => p.Add(c => c.Series, Week()));

        Assert.Contains("Requests per 3 hours", chart.Markup);
        Assert.NotEmpty(chart.FindAll("svg path.mud-chart-line"));
        var labels = chart.FindAll("svg text").Select(t => t.TextContent.Trim()).Where(t => t.Contains(':', StringComparison.Ordinal)).ToList();
        Assert.InRange(labels.Count, 2, 10);
        Assert.Contains("11-23 00:00", labels);
        Assert.Equal(["0", "20", "40", "60"], YAxis(chart)); // round steps past the busiest bucket
    }

    [Fact]
    public async Task Choosing_another_figure_redraws_the_chart_on_its_scale()
    {
        var chart = _context.Render<UsageChart>(p => p.Add(c => c.Series, Week()));

        await chart.Find("[data-testid=usage-chart-metric] .mud-toggle-item:contains('Tokens')").ClickAsync(new());

        Assert.Equal(UsageMetric.Tokens, chart.Instance.Metric);
        Assert.Contains("Tokens per 3 hours", chart.Markup);
        Assert.Equal(["0", "20k", "40k", "60k"], YAxis(chart));
    }

    [Fact]
    public async Task Latency_leaves_a_gap_where_nothing_was_called_rather_than_a_zero()
    {
        var chart = _context.Render<UsageChart>(p => p.Add(c => c.Series, Week()));

        await chart.Find("[data-testid=usage-chart-metric] .mud-toggle-item:contains('p95')").ClickAsync(new());

        var line = chart.Find("svg path.mud-chart-line").GetAttribute("d")!;
        Assert.Equal(2, line.Split("M ").Length - 1); // the line stops at the gap and starts again after it
    }

    [Fact]
    public void A_range_without_calls_says_so()
    {
        var empty = new UsageSeries(TimeSpan.FromHours(1), Enumerable.Range(0, 24).Select(i => new UsagePoint(Start.AddHours(i), 0, 0, 0, null)).ToList());

        var chart = _context.Render<UsageChart>(p => p.Add(c => c.Series, empty));

        Assert.Equal("No calls in this range.", chart.Find("[data-testid=usage-chart-empty]").TextContent);
        Assert.Empty(chart.FindAll("svg path.mud-chart-line"));
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(56, 20)]
    [InlineData(180, 50)]
    [InlineData(1234, 500)]
    [InlineData(9_100_000, 2_000_000)]
    public void Steps_are_round(double max, int step) => Assert.Equal(step, UsageChart.RoundStep(max));

    /// <summary>The y axis's labels, bottom up.</summary>
    private static List<string> YAxis(IRenderedComponent<UsageChart> chart) =>
        chart.FindAll("svg .mud-charts-yaxis text").Select(t => t.TextContent.Trim()).ToList();

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
