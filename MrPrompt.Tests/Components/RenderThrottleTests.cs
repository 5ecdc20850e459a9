using Microsoft.Extensions.Time.Testing;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Tests.Components;

public sealed class RenderThrottleTests
{
    private readonly FakeTimeProvider _clock = new();
    private int _renders;

    private RenderThrottle Create() => new(TimeSpan.FromMilliseconds(50), () =>
    {
        Interlocked.Increment(ref _renders);
        return Task.CompletedTask;
    }, _clock);

    [Fact]
    public void The_first_change_renders_at_once_and_a_burst_waits_for_one_more_render()
    {
        using var throttle = Create();

        for (var i = 0; i < 100; i++)
        {
            throttle.Request();
        }
        Assert.Equal(1, _renders);

        _clock.Advance(TimeSpan.FromMilliseconds(49));
        Assert.Equal(1, _renders);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _renders) == 2, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void A_second_of_constant_change_renders_once_every_interval()
    {
        using var throttle = Create();

        for (var ms = 5; ms <= 1000; ms += 5)
        {
            throttle.Request();
            _clock.Advance(TimeSpan.FromMilliseconds(5));
            // A render falls due at every 50 ms mark: wait for that one to land, never for time to pass.
            var due = 1 + ms / 50;
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _renders) >= due, TimeSpan.FromSeconds(5)), $"{_renders} renders at {ms} ms");
        }

        // At once, then at 50, 100, … 1000 ms: twenty a second, never more.
        Assert.Equal(21, Volatile.Read(ref _renders));
    }

    [Fact]
    public void Nothing_renders_after_dispose()
    {
        var throttle = Create();
        throttle.Request();
        throttle.Request();
        throttle.Dispose();

        _clock.Advance(TimeSpan.FromSeconds(1));
        Thread.Sleep(50);

        Assert.Equal(1, _renders);
    }
}
