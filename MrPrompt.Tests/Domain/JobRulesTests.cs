using MrPrompt.Domain.Jobs;

namespace MrPrompt.Tests.Domain;

public sealed class JobRulesTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(300);

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(6, 64)]
    [InlineData(9, 300)] // 512 s on the curve, held at the cap
    [InlineData(40, 300)]
    public void Backoff_doubles_per_failed_attempt_up_to_the_cap_within_ten_percent(int failedAttempts, double curveSeconds)
    {
        var lowest = JobRules.Backoff(failedAttempts, Base, Max, random: 0);
        var middle = JobRules.Backoff(failedAttempts, Base, Max, random: 0.5);
        var highest = JobRules.Backoff(failedAttempts, Base, Max, random: 0.999_999);

        Assert.Equal(curveSeconds, middle.TotalSeconds, precision: 6);
        Assert.Equal(curveSeconds * 0.9, lowest.TotalSeconds, precision: 6);
        Assert.InRange(highest.TotalSeconds, curveSeconds * 1.0999, curveSeconds * 1.1);
    }

    [Fact]
    public void Many_draws_spread_over_the_whole_jitter_band()
    {
        var random = new Random(17);
        var delays = Enumerable.Range(0, 1000).Select(_ => JobRules.Backoff(2, Base, Max, random.NextDouble()).TotalSeconds).ToList();

        Assert.All(delays, d => Assert.InRange(d, 3.6, 4.4));
        Assert.True(delays.Min() < 3.7 && delays.Max() > 4.3, $"{delays.Min()}..{delays.Max()}");
    }

    [Fact]
    public void A_lease_is_abandoned_only_once_it_has_been_expired_for_longer_than_the_grace()
    {
        var expired = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        var grace = TimeSpan.FromSeconds(5);

        Assert.False(JobRules.IsAbandoned(expired, expired.AddSeconds(-3), grace)); // still valid
        Assert.False(JobRules.IsAbandoned(expired, expired.AddSeconds(1), grace)); // ran out 1 s ago
        Assert.False(JobRules.IsAbandoned(expired, expired.AddSeconds(5), grace)); // exactly at the grace
        Assert.True(JobRules.IsAbandoned(expired, expired.AddSeconds(5.001), grace));
        Assert.True(JobRules.AbandonedBefore(expired.AddSeconds(6), grace) > expired);
    }

    [Fact]
    public void There_is_no_back_off_before_a_first_failure()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JobRules.Backoff(0, Base, Max, 0.5));
    }
}
