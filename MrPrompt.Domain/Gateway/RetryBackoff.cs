namespace MrPrompt.Domain.Gateway;

/// <summary>How long to wait before retrying a failed attempt.</summary>
public sealed record RetryBackoff(TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    public static RetryBackoff Default { get; } = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20));

    /// <summary>
    /// The provider's own Retry-After when it gave one; otherwise exponential growth with jitter between
    /// half and all of the step, so clients that failed together do not retry together.
    /// Null means "do not retry": the provider asked for a longer wait than we are willing to hold a user.
    /// </summary>
    /// <param name="attempt">The attempt that just failed, from 1.</param>
    /// <param name="retryAfter">The provider's Retry-After, if any.</param>
    /// <param name="jitter">A random sample in [0, 1).</param>
    public TimeSpan? DelayBefore(int attempt, TimeSpan? retryAfter, double jitter)
    {
        if (retryAfter is { } asked)
        {
            return asked <= MaxDelay ? (asked < TimeSpan.Zero ? TimeSpan.Zero : asked) : null;
        }
        var step = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        var capped = Math.Min(step, MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (0.5 * Math.Clamp(jitter, 0, 1))));
    }
}
