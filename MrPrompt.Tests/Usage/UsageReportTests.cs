using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Tests.Usage;

/// <summary>
/// The admin usage report on real Postgres against generated rows: every figure is checked against
/// the same figure computed here from the rows themselves, for each filter and grouping.
/// </summary>
public sealed class UsageReportTests(SampledUsage sample) : IClassFixture<SampledUsage>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private UsageReport Report => sample.Services.GetRequiredService<UsageReport>();

    private UsageFilter Range => new(sample.Now - SampledUsage.Span, sample.Now);

    private IEnumerable<UsageRecord> Matching(UsageFilter filter) => sample.Rows.Where(r =>
        r.ExecutedAt >= filter.From && r.ExecutedAt < filter.To
        && (filter.UserId is null || r.UserId == filter.UserId)
        && (filter.Provider is null || r.Provider == filter.Provider)
        && (filter.Model is null || r.Model == filter.Model)
        && (filter.PromptVersionId is { } version ? r.PromptVersionId == version
            : filter.PromptId is not { } prompt || sample.Versions.Any(v => v.PromptId == prompt && v.VersionId == r.PromptVersionId))
        && (filter.Status is null || r.Status == filter.Status)
        && (filter.Source is null || r.Source == filter.Source));

    public static TheoryData<string> Filters => ["none", "user", "provider", "model", "prompt", "version", "status", "source", "all-but-time"];

    private UsageFilter Filter(string name) => name switch
    {
        "none" => Range,
        "user" => Range with { UserId = sample.Users[1].Id },
        "provider" => Range with { Provider = "openai" },
        "model" => Range with { Provider = "openai", Model = "gpt-4o" },
        "prompt" => Range with { PromptId = sample.Versions[0].PromptId },
        "version" => Range with { PromptVersionId = sample.Versions[3].VersionId },
        "status" => Range with { Status = UsageStatus.Error },
        "source" => Range with { Source = UsageSource.Api },
        "all-but-time" => Range with { Provider = "openai", Status = UsageStatus.Success, Source = UsageSource.Ui, UserId = sample.Users[0].Id },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Totals_equal_the_figures_of_the_matching_rows(string filterName)
    {
        var filter = Filter(filterName);
        var expected = Expected.Totals(Matching(filter).ToList());

        var totals = await Report.TotalsAsync(sample.Admin, filter, Ct);

        Assert.True(expected.Requests > 0, "the sample should hold rows for every filter");
        Expected.Equal(expected, totals);
    }

    [Fact]
    public async Task The_range_includes_its_start_and_excludes_its_end()
    {
        var totals = await Report.TotalsAsync(sample.Admin, Range, Ct);
        var page = await Report.PageAsync(sample.Admin, Range, new UsagePageRequest(Take: UsagePageRequest.MaxTake), Ct);
        var oldestFirst = await Report.PageAsync(sample.Admin, Range, new UsagePageRequest(Descending: false, Take: 1), Ct);

        Assert.Equal(Matching(Range).Count(), totals.Requests);
        Assert.DoesNotContain(page, r => r.ExecutedAt == sample.Now);
        Assert.Equal(Range.From, oldestFirst.Single().ExecutedAt);
    }

    [Theory]
    [InlineData(UsageGrouping.Provider)]
    [InlineData(UsageGrouping.Model)]
    [InlineData(UsageGrouping.User)]
    [InlineData(UsageGrouping.PromptVersion)]
    public async Task The_breakdown_gives_each_group_its_own_figures_most_requests_first(UsageGrouping grouping)
    {
        var filter = Range;
        var expected = Matching(filter).GroupBy(r => grouping switch
            {
                UsageGrouping.Provider => r.Provider,
                UsageGrouping.Model => $"{r.Provider}/{r.Model}",
                UsageGrouping.User => r.UserId.ToString(),
                _ => r.PromptVersionId?.ToString() ?? "",
            })
            .ToDictionary(g => g.Key, g => Expected.Totals(g.ToList()));

        var breakdown = await Report.BreakdownAsync(sample.Admin, filter, grouping, Ct);

        Assert.False(breakdown.Truncated);
        Assert.Equal(expected.Keys.Order(), breakdown.Groups.Select(g => g.Key).Order());
        Assert.Equal(breakdown.Groups.Select(g => g.Totals.Requests).OrderDescending(), breakdown.Groups.Select(g => g.Totals.Requests));
        foreach (var group in breakdown.Groups)
        {
            Expected.Equal(expected[group.Key], group.Totals);
        }
        var labels = breakdown.Groups.Select(g => g.Label).ToList();
        switch (grouping)
        {
            case UsageGrouping.User:
                Assert.Equal(sample.Users.Select(u => u.Email).Order(), labels.Order());
                break;
            case UsageGrouping.PromptVersion:
                Assert.Equal(sample.Versions.Select(v => v.Label).Append("no prompt").Order(), labels.Order());
                break;
            case UsageGrouping.Provider:
                Assert.Contains("Echo (offline demo)", labels);
                break;
        }
    }

    [Fact]
    public async Task The_breakdown_lists_the_busiest_groups_and_says_when_there_are_more()
    {
        var day = new UsageFilter(sample.ManyModelsDay.AddHours(-1), sample.ManyModelsDay.AddHours(3));

        var breakdown = await Report.BreakdownAsync(sample.Admin, day, UsageGrouping.Model, Ct);

        Assert.True(breakdown.Truncated);
        Assert.Equal(UsageReport.MaxGroups, breakdown.Groups.Count);
        Assert.Equal(("openai/model-000", 2L), (breakdown.Groups[0].Key, breakdown.Groups[0].Totals.Requests));
        Assert.DoesNotContain(breakdown.Groups, g => g.Key == "openai/model-100"); // ties go by key: the last one is left out
    }

    [Fact]
    public async Task The_series_has_a_point_per_bucket_with_empty_buckets_kept()
    {
        var filter = Range with { Provider = "anthropic" };
        var rows = Matching(filter).ToList();

        var series = await Report.SeriesAsync(sample.Admin, filter, Ct);

        Assert.Equal(TimeSpan.FromHours(3), series.Bucket); // ten days in at most 100 points
        Assert.Equal(UsageBuckets.Start(filter.From, series.Bucket), series.Points[0].Start);
        Assert.True(series.Points.Zip(series.Points.Skip(1)).All(p => p.Second.Start - p.First.Start == series.Bucket));
        Assert.Equal(rows.Count, series.Points.Sum(p => p.Requests));
        Assert.Equal(rows.Sum(r => (long)r.InputTokens + r.OutputTokens), series.Points.Sum(p => p.Tokens));
        Assert.Equal(rows.Sum(r => r.CostUsd ?? 0), series.Points.Sum(p => p.CostUsd));
        foreach (var point in series.Points)
        {
            var inBucket = rows.Where(r => r.ExecutedAt >= point.Start && r.ExecutedAt < point.Start + series.Bucket).ToList();
            Assert.Equal(inBucket.Count, point.Requests);
            Expected.Close(Expected.Percentile(inBucket.Where(r => r.Attempt > 0).Select(r => (double)r.LatencyMs), 0.95), point.LatencyP95Ms);
        }
    }

    [Theory]
    [InlineData(UsageSort.ExecutedAt, true)]
    [InlineData(UsageSort.CostUsd, true)]
    [InlineData(UsageSort.CostUsd, false)]
    [InlineData(UsageSort.LatencyMs, false)]
    [InlineData(UsageSort.TimeToFirstTokenMs, true)]
    [InlineData(UsageSort.OutputTokens, true)]
    public async Task Pages_follow_the_asked_order_without_gaps_or_repeats(UsageSort sort, bool descending)
    {
        var filter = Range with { Source = UsageSource.Api };
        var expected = Matching(filter).Select(r => r.Id).ToHashSet();

        var seen = new List<UsageRow>();
        for (var skip = 0; skip < expected.Count; skip += 70)
        {
            seen.AddRange(await Report.PageAsync(sample.Admin, filter, new UsagePageRequest(sort, descending, skip, 70), Ct));
        }

        Assert.Equal(expected.Order(), seen.Select(r => r.Id).Order());
        var keys = seen.Select(r => sort switch
        {
            UsageSort.ExecutedAt => (decimal?)r.ExecutedAt.UtcTicks,
            UsageSort.CostUsd => r.CostUsd,
            UsageSort.LatencyMs => r.LatencyMs,
            UsageSort.TimeToFirstTokenMs => r.TimeToFirstTokenMs,
            _ => r.OutputTokens,
        }).ToList();
        var valued = keys.Where(k => k is not null).ToList();
        Assert.Equal(descending ? valued.OrderDescending() : valued.Order(), valued);
        Assert.All(keys.SkipWhile(k => k is not null), k => Assert.Null(k)); // rows without a value come last either way
    }

    [Fact]
    public async Task Rows_name_their_user_key_and_prompt_version()
    {
        var version = sample.Versions[1];
        var rows = await Report.PageAsync(sample.Admin, Range with { PromptVersionId = version.VersionId, Source = UsageSource.Api }, new UsagePageRequest(), Ct);

        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal(("bob@example.com", "nightly job", version.Label),
            (r.UserEmail, r.ApiKeyName, $"{r.PromptKey} v{r.PromptVersion}")));
        var stored = sample.Rows.Single(r => r.Id == rows[0].Id);
        Assert.Equal((stored.TraceId, stored.Status, stored.CostUsd, stored.LatencyMs, stored.TimeToFirstTokenMs, stored.Attempt),
            (rows[0].TraceId, rows[0].Status, rows[0].CostUsd, rows[0].LatencyMs, rows[0].TimeToFirstTokenMs, rows[0].Attempt));
    }

    [Fact]
    public async Task The_stream_holds_every_matching_row_oldest_first()
    {
        var filter = Range with { Provider = "openai" };
        var streamed = new List<UsageRow>();
        await foreach (var row in Report.StreamAsync(sample.Admin, filter, Ct))
        {
            streamed.Add(row);
        }

        Assert.Equal(Matching(filter).Select(r => r.Id).Order(), streamed.Select(r => r.Id).Order());
        Assert.Equal(streamed.OrderBy(r => r.ExecutedAt).ThenBy(r => r.Id).Select(r => r.Id), streamed.Select(r => r.Id));
    }

    [Fact]
    public async Task An_empty_range_adds_up_to_nothing()
    {
        var filter = new UsageFilter(sample.Now.AddYears(-5), sample.Now.AddYears(-4));

        var totals = await Report.TotalsAsync(sample.Admin, filter, Ct);
        var breakdown = await Report.BreakdownAsync(sample.Admin, filter, UsageGrouping.Model, Ct);

        Assert.Equal(UsageTotals.None, totals);
        Assert.Empty(breakdown.Groups);
    }

    /// <summary>The report's figures, computed in memory the way Postgres defines them.</summary>
    private static class Expected
    {
        public static UsageTotals Totals(IReadOnlyList<UsageRecord> rows) => new(
            rows.Count,
            rows.Sum(r => (long)r.InputTokens),
            rows.Sum(r => (long)r.OutputTokens),
            rows.Sum(r => r.CostUsd ?? 0),
            rows.Count(r => r.CostUsd is null && r.InputTokens + r.OutputTokens > 0),
            rows.Count(r => r.Status == UsageStatus.Error),
            Percentile(rows.Where(r => r.Attempt > 0).Select(r => (double)r.LatencyMs), 0.5),
            Percentile(rows.Where(r => r.Attempt > 0).Select(r => (double)r.LatencyMs), 0.95),
            Percentile(rows.Where(r => r.TimeToFirstTokenMs is not null).Select(r => (double)r.TimeToFirstTokenMs!.Value), 0.5),
            Percentile(rows.Where(r => r.TimeToFirstTokenMs is not null).Select(r => (double)r.TimeToFirstTokenMs!.Value), 0.95));

        /// <summary>Postgres's <c>percentile_cont</c>: linear interpolation between the two nearest ranks.</summary>
        public static double? Percentile(IEnumerable<double> values, double fraction)
        {
            var sorted = values.Order().ToArray();
            if (sorted.Length == 0)
            {
                return null;
            }
            var position = fraction * (sorted.Length - 1);
            var lower = (int)Math.Floor(position);
            var upper = (int)Math.Ceiling(position);
            return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
        }

        public static void Equal(UsageTotals expected, UsageTotals actual)
        {
            Assert.Equal((expected.Requests, expected.InputTokens, expected.OutputTokens, expected.CostUsd, expected.UnpricedRequests, expected.Errors),
                (actual.Requests, actual.InputTokens, actual.OutputTokens, actual.CostUsd, actual.UnpricedRequests, actual.Errors));
            Close(expected.LatencyP50Ms, actual.LatencyP50Ms);
            Close(expected.LatencyP95Ms, actual.LatencyP95Ms);
            Close(expected.TimeToFirstTokenP50Ms, actual.TimeToFirstTokenP50Ms);
            Close(expected.TimeToFirstTokenP95Ms, actual.TimeToFirstTokenP95Ms);
        }

        public static void Close(double? expected, double? actual)
        {
            Assert.Equal(expected is null, actual is null);
            if (expected is { } e)
            {
                Assert.Equal(e, actual!.Value, 6);
            }
        }
    }
}
