using System.Collections.Concurrent;
using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>
/// Requests and tokens per minute, per user and per API key, over exact one-minute sliding windows
/// held in this process (a single instance is the deployment this targets).
/// </summary>
public sealed class CallRateLimits(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, UsageWindow> _windows = new(StringComparer.Ordinal);

    /// <summary>Counts one request for the user and the key, or says which limit is reached and for how long.</summary>
    public GatewayError? TryAdmit(Guid userId, Guid? keyId, CallerAllowance allowance, int? keyRequestsPerMinute, long? keyTokensPerMinute)
    {
        var now = clock.GetUtcNow();
        // Tokens are known only after a call, so the check is whether the last minute left any room.
        if (Window($"u:{userId}:tokens").HasRoom(now, allowance.TokensPerMinute) is (false, var tokenWait))
        {
            return GatewayError.UsageLimited($"your limit of {allowance.TokensPerMinute} tokens per minute", tokenWait);
        }
        if (keyId is { } key && Window($"k:{key}:tokens").HasRoom(now, keyTokensPerMinute ?? allowance.TokensPerMinute) is (false, var keyTokenWait))
        {
            return GatewayError.UsageLimited($"this API key's limit of {keyTokensPerMinute ?? allowance.TokensPerMinute} tokens per minute", keyTokenWait);
        }
        var keyLimit = keyRequestsPerMinute ?? allowance.RequestsPerMinute;
        var keyRequests = keyId is { } limitedKey ? Window($"k:{limitedKey}:requests") : null;
        if (keyRequests?.TryTake(now, keyLimit) is (false, var keyWait))
        {
            return GatewayError.UsageLimited($"this API key's limit of {keyLimit} requests per minute", keyWait);
        }
        if (Window($"u:{userId}:requests").TryTake(now, allowance.RequestsPerMinute) is (false, var wait))
        {
            keyRequests?.GiveBack(now, 1); // refused by the user's limit: the key's slot was not used
            return GatewayError.UsageLimited($"your limit of {allowance.RequestsPerMinute} requests per minute", wait);
        }
        return null;
    }

    /// <summary>Counts one send or run started from a page, before anything is saved; null, or how long to wait.</summary>
    public TimeSpan? TryStartInteractive(Guid userId, int perMinute) =>
        Window($"u:{userId}:interactive").TryTake(clock.GetUtcNow(), perMinute) is (false, var wait) ? wait : null;

    /// <summary>Counts one embedding request (<c>EMBED_RATE_LIMIT_PER_MIN</c>); null, or how long to wait.</summary>
    public TimeSpan? TryStartEmbedding(Guid userId, int perMinute) =>
        Window($"u:{userId}:embeddings").TryTake(clock.GetUtcNow(), perMinute) is (false, var wait) ? wait : null;

    public void RecordTokens(Guid userId, Guid? keyId, long tokens)
    {
        var now = clock.GetUtcNow();
        Window($"u:{userId}:tokens").Record(now, tokens);
        if (keyId is { } key)
        {
            Window($"k:{key}:tokens").Record(now, tokens);
        }
    }

    /// <summary>Forgets windows with nothing left in them, so idle callers hold no memory.</summary>
    public void Prune()
    {
        var now = clock.GetUtcNow();
        foreach (var (key, window) in _windows)
        {
            if (window.Used(now) == 0)
            {
                _windows.TryRemove(new KeyValuePair<string, UsageWindow>(key, window));
            }
        }
    }

    private UsageWindow Window(string key) => _windows.GetOrAdd(key, static _ => new UsageWindow());
}
