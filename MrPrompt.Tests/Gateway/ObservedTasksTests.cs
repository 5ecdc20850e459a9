using MrPrompt.Infrastructure;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Gateway;

/// <summary>Work started without waiting for it says when it fails, and stays quiet when it does not.</summary>
public sealed class ObservedTasksTests
{
    [Fact]
    public void A_failure_of_work_not_waited_for_is_logged_with_what_the_work_was()
    {
        using var logs = new CapturingLoggerProvider();
        var logger = logs.CreateLogger("test");
        var failing = new TaskCompletionSource();
        var succeeding = new TaskCompletionSource();

        failing.Task.Observe(logger, "a provider key's last use");
        succeeding.Task.Observe(logger, "a background call's cost");
        failing.SetException(new TimeoutException("the database did not answer"));
        succeeding.SetResult();

        var entry = Assert.Single(logs.Entries);
        Assert.Contains("a provider key's last use", entry, StringComparison.Ordinal);
        Assert.Contains("TimeoutException", entry, StringComparison.Ordinal);
        Assert.Contains("the database did not answer", entry, StringComparison.Ordinal);
    }
}
