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

    /// <summary>
    /// Hosts on the inside (loopback, private ranges) that provider addresses people type may still reach,
    /// comma-separated, each <c>host</c> or <c>host:port</c>: a lab's Ollama, say. Addresses the operator
    /// configures are trusted without this.
    /// </summary>
    public string AllowedPrivateHosts { get; set; } = "";

    public bool AllowsPrivateHost(string host, int port) =>
        PrivateHosts().Any(allowed => string.Equals(allowed.Host, host, StringComparison.OrdinalIgnoreCase) && (allowed.Port is null || allowed.Port == port));

    /// <summary>The entries of <see cref="AllowedPrivateHosts"/>; a port that is not a number reads as 0, which start-up refuses.</summary>
    public IEnumerable<(string Host, int? Port)> PrivateHosts()
    {
        foreach (var entry in AllowedPrivateHosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.StartsWith('[')) // [::1] or [::1]:8080
            {
                var end = entry.IndexOf(']', StringComparison.Ordinal);
                yield return end < 0 ? (entry, 0)
                    : end + 1 < entry.Length ? (entry[1..end], entry[end + 1] == ':' ? PortOf(entry[(end + 2)..]) : 0)
                    : (entry[1..end], null);
                continue;
            }
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            // A host name, or a bare IPv6 address (more than one colon), has no port.
            yield return colon < 0 || entry.IndexOf(':', colon + 1) >= 0 ? (entry, null) : (entry[..colon], PortOf(entry[(colon + 1)..]));
        }
    }

    private static int PortOf(string text) => int.TryParse(text, out var port) && port is > 0 and <= 65535 ? port : 0;

    public RetryBackoff Backoff => new(TimeSpan.FromMilliseconds(RetryBaseDelayMilliseconds), TimeSpan.FromSeconds(RetryMaxDelaySeconds));
}
