using Microsoft.Extensions.Time.Testing;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Tests.Accounts;

public sealed class SignInThrottleTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-05T10:00:00Z"));

    private SignInThrottle Fail(int times, string account = "Ada@Example.com", string address = "203.0.113.1")
    {
        var throttle = new SignInThrottle(_clock);
        for (var i = 0; i < times; i++)
        {
            throttle.RecordFailure(account, address);
        }
        return throttle;
    }

    [Fact]
    public void An_address_is_refused_after_five_wrong_passwords_for_one_account_only()
    {
        var throttle = Fail(IdentityRules.MaxFailedSignIns - 1);
        Assert.False(throttle.IsRefused("ada@example.com", "203.0.113.1"));

        throttle.RecordFailure(" ADA@example.com ", "203.0.113.1");

        Assert.True(throttle.IsRefused("ada@example.com", "203.0.113.1"));
        Assert.False(throttle.IsRefused("ada@example.com", "198.51.100.1"));
        Assert.False(throttle.IsRefused("bob@example.com", "203.0.113.1"));
    }

    [Fact]
    public void The_refusal_ends_after_the_lockout_time()
    {
        var throttle = Fail(IdentityRules.MaxFailedSignIns);

        _clock.Advance(IdentityRules.LockoutDuration - TimeSpan.FromSeconds(1));
        Assert.True(throttle.IsRefused("ada@example.com", "203.0.113.1"));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(throttle.IsRefused("ada@example.com", "203.0.113.1"));
    }

    [Fact]
    public void A_good_password_clears_its_address_and_an_unlock_clears_every_address()
    {
        var throttle = Fail(IdentityRules.MaxFailedSignIns);
        for (var i = 0; i < IdentityRules.MaxFailedSignIns; i++)
        {
            throttle.RecordFailure("ada@example.com", "198.51.100.1");
        }

        throttle.Succeeded("ada@example.com", "203.0.113.1");
        Assert.False(throttle.IsRefused("ada@example.com", "203.0.113.1"));
        Assert.True(throttle.IsRefused("ada@example.com", "198.51.100.1"));

        throttle.Forget("ADA@example.com");
        Assert.False(throttle.IsRefused("ada@example.com", "198.51.100.1"));
    }
}
