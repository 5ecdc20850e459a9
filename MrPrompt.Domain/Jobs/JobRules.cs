namespace MrPrompt.Domain.Jobs;

/// <summary>When a job runs again, and when a lease counts as abandoned.</summary>
public static class JobRules
{
    /// <summary>The share of a back-off delay that jitter may add or take away, so retries of many jobs spread out.</summary>
    public const double Jitter = 0.1;

    /// <summary>
    /// How long to wait before attempt <paramref name="failedAttempts"/> + 1: <paramref name="baseDelay"/> doubled per
    /// failed attempt, at most <paramref name="maxDelay"/>, then moved by up to ±10 % with <paramref name="random"/>
    /// (a draw from [0, 1)).
    /// </summary>
    public static TimeSpan Backoff(int failedAttempts, TimeSpan baseDelay, TimeSpan maxDelay, double random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        var exponent = Math.Min(failedAttempts - 1, 30);
        var curve = Math.Min(baseDelay.TotalMilliseconds * Math.Pow(2, exponent), maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(curve * (1 + Jitter * (2 * random - 1)));
    }

    /// <summary>
    /// A lease is abandoned (its instance is gone) once it has been expired for longer than <paramref name="grace"/>:
    /// a live instance that is a little late renewing keeps its job.
    /// </summary>
    public static bool IsAbandoned(DateTimeOffset leaseExpiresAt, DateTimeOffset now, TimeSpan grace) => now - leaseExpiresAt > grace;

    /// <summary>The moment before which a lease that expired at that moment is still honoured.</summary>
    public static DateTimeOffset AbandonedBefore(DateTimeOffset now, TimeSpan grace) => now - grace;
}
