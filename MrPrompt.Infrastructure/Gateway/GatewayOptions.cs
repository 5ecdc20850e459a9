using System.ComponentModel.DataAnnotations;
using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>The <c>Gateway</c> section: timeouts, retries and the circuit breaker.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Attempts per model, the first included, before falling back or giving up.</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    [Range(1, 600)]
    public int FirstTokenTimeoutSeconds { get; set; } = 60;

    /// <summary>Longest a single HTTP exchange with a provider may take (non-streamed answers wait this long).</summary>
    [Range(1, 3600)]
    public int RequestTimeoutSeconds { get; set; } = 300;

    [Range(1, 60_000)]
    public int RetryBaseDelayMilliseconds { get; set; } = 500;

    /// <summary>The longest wait before a retry; a provider asking for more (Retry-After) gets no retry.</summary>
    [Range(1, 600)]
    public int RetryMaxDelaySeconds { get; set; } = 20;

    [Range(1, 1000)]
    public int CircuitFailureThreshold { get; set; } = 5;

    [Range(1, 3600)]
    public int CircuitBreakSeconds { get; set; } = 30;

    /// <summary>
    /// The longest answer, in characters, the gateway takes from a provider: past it the call is stopped
    /// and ends as failed with what came, so an upstream that never stops fills neither memory nor the database.
    /// </summary>
    [Range(1_000, 100_000_000)]
    public int MaxAnswerCharacters { get; set; } = 1_000_000;

    /// <summary>The most output tokens a call may ask for; a larger max_tokens is lowered to it.</summary>
    [Range(16, 10_000_000)]
    public int MaxOutputTokens { get; set; } = 128_000;

    /// <summary>Pause between the Echo provider's words, so it streams like a model.</summary>
    [Range(0, 5000)]
    public int EchoWordDelayMilliseconds { get; set; } = 40;

    /// <summary>Minutes between removals of expired cached answers and idempotency keys.</summary>
    [Range(1, 24 * 60)]
    public int CleanupIntervalMinutes { get; set; } = 10;

    public RetryBackoff Backoff => new(TimeSpan.FromMilliseconds(RetryBaseDelayMilliseconds), TimeSpan.FromSeconds(RetryMaxDelaySeconds));
}
