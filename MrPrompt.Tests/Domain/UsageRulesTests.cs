using MrPrompt.Domain.Usage;

namespace MrPrompt.Tests.Domain;

public sealed class UsageRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 18, 14, 37, 12, TimeSpan.Zero);

    [Theory]
    [InlineData(UsageRange.Last24Hours, 15 * 60)]
    [InlineData(UsageRange.Last7Days, 3 * 3600)]
    [InlineData(UsageRange.Last30Days, 12 * 3600)]
    [InlineData(UsageRange.Last90Days, 24 * 3600)]
    public void Each_range_gets_the_narrowest_round_bucket_that_fits_a_hundred_points(UsageRange range, int seconds)
    {
        var filter = UsageRanges.Ending(range, Now);

        var bucket = UsageBuckets.For(filter.To - filter.From);

        Assert.Equal(TimeSpan.FromSeconds(seconds), bucket);
        Assert.InRange(UsageBuckets.Starts(filter.From, filter.To, bucket).Count, 2, UsageBuckets.MaxPoints + 1);
    }

    [Fact]
    public void Years_fall_back_to_weeks_that_start_on_mondays()
    {
        var bucket = UsageBuckets.For(TimeSpan.FromDays(3 * 365));
        var start = UsageBuckets.Start(Now, bucket);

        Assert.Equal(TimeSpan.FromDays(7), bucket);
        Assert.Equal((DayOfWeek.Monday, TimeSpan.Zero), (start.DayOfWeek, start.TimeOfDay));
        Assert.True(start <= Now && Now < start + bucket);
    }

    [Fact]
    public void Buckets_cover_the_range_without_holes()
    {
        var from = Now.AddHours(-5).AddMinutes(-3);

        var starts = UsageBuckets.Starts(from, Now, TimeSpan.FromHours(1));

        Assert.Equal(new DateTimeOffset(2026, 3, 18, 9, 0, 0, TimeSpan.Zero), starts[0]);
        Assert.Equal(new DateTimeOffset(2026, 3, 18, 14, 0, 0, TimeSpan.Zero), starts[^1]);
        Assert.Equal(6, starts.Count);
    }

    [Fact]
    public void A_range_ending_now_includes_now_and_whole_days_include_the_last_day()
    {
        var week = UsageRanges.Ending(UsageRange.Last7Days, Now);
        var days = UsageRanges.Days(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 3));

        Assert.True(week.From == Now.AddDays(-7) && Now < week.To);
        Assert.Equal((new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 4, 0, 0, 0, TimeSpan.Zero)), (days.From, days.To));
    }

    [Fact]
    public void A_filter_says_what_is_wrong_with_it()
    {
        var backwards = new UsageFilter(Now, Now.AddDays(-1)).Validate();
        var endless = new UsageFilter(Now.AddYears(-20), Now).Validate();
        var longModel = (new UsageFilter(Now.AddDays(-1), Now) with { Model = new string('m', 201) }).Validate();

        Assert.Equal(["The end of the range must come after its start."], backwards.For("to"));
        Assert.Equal(["Choose a range of at most ten years."], endless.For("from"));
        Assert.Single(longModel.For("model"));
        Assert.True(new UsageFilter(Now.AddDays(-1), Now).Validate().IsEmpty);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(31, true)]
    [InlineData(3650, true)]
    [InlineData(30, false)]
    [InlineData(-1, false)]
    [InlineData(3651, false)]
    public void Retention_is_for_ever_or_at_least_a_month(int days, bool allowed)
    {
        Assert.Equal(allowed, UsageRetention.Check(days) is null);
    }

    [Fact]
    public void The_retention_cutoff_is_that_many_days_back_and_none_for_ever()
    {
        Assert.Equal(Now.AddDays(-31), UsageRetention.Cutoff(Now, 31));
        Assert.Null(UsageRetention.Cutoff(Now, UsageRetention.Forever));
    }
}
