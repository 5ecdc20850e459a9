using MrPrompt.Domain.Gateway;

namespace MrPrompt.Tests.Domain;

public sealed class UsageWindowTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Takes_up_to_the_limit_then_says_when_the_oldest_leaves_the_window()
    {
        var window = new UsageWindow();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(window.TryTake(Start.AddSeconds(i * 10), limit: 3).Admitted);
        }

        var refused = window.TryTake(Start.AddSeconds(30), limit: 3);

        Assert.False(refused.Admitted);
        Assert.Equal(TimeSpan.FromSeconds(30), refused.RetryAfter); // the first entry leaves at 60 s
        Assert.True(window.TryTake(Start.AddSeconds(60), limit: 3).Admitted);
        Assert.Equal(3, window.Used(Start.AddSeconds(60)));
    }

    [Fact]
    public void Is_exact_at_a_minute_boundary_where_fixed_buckets_would_let_twice_the_limit_through()
    {
        var window = new UsageWindow();
        var admitted = 0;
        // 10 requests at 0:59.9 and 10 more at 1:00.1, against 10 per minute.
        for (var i = 0; i < 10; i++)
        {
            admitted += window.TryTake(Start.AddMilliseconds(59_900), 10).Admitted ? 1 : 0;
        }
        for (var i = 0; i < 10; i++)
        {
            admitted += window.TryTake(Start.AddMilliseconds(60_100), 10).Admitted ? 1 : 0;
        }

        Assert.Equal(10, admitted);
    }

    [Fact]
    public void Tokens_recorded_after_calls_close_the_window_until_enough_expire()
    {
        var window = new UsageWindow();
        window.Record(Start, 600);
        window.Record(Start.AddSeconds(20), 500);

        var (hasRoom, wait) = window.HasRoom(Start.AddSeconds(30), limit: 1000);

        Assert.False(hasRoom);
        Assert.Equal(TimeSpan.FromSeconds(30), wait);
        Assert.True(window.HasRoom(Start.AddSeconds(60), limit: 1000).HasRoom);
    }

    [Fact]
    public void A_slot_given_back_can_be_taken_again()
    {
        var window = new UsageWindow();
        Assert.True(window.TryTake(Start, limit: 1).Admitted);
        Assert.False(window.TryTake(Start.AddSeconds(1), limit: 1).Admitted);

        window.GiveBack(Start.AddSeconds(2), 1);

        Assert.True(window.TryTake(Start.AddSeconds(3), limit: 1).Admitted);
    }
}
