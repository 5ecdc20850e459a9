using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Gateway.Reuse;

/// <summary>
/// The response cache (docs/contracts.md, "Response cache"): answers kept for the seconds a request asked (<c>cache_ttl</c>), in
/// Postgres (<c>ai_response_cache</c>, so they survive restarts and serve every instance) behind an
/// in-process first level (HybridCache, which also lets concurrent lookups of one key share a query).
/// </summary>
public sealed class ResponseCache(IDbContextFactory<AppDbContext> contexts, HybridCache memory, TimeProvider clock)
{
    private static readonly HybridCacheEntryOptions FirstLevel = new()
    {
        // Short, because an entry may be refreshed or removed through another instance's database writes.
        LocalCacheExpiration = TimeSpan.FromMinutes(1),
        Expiration = TimeSpan.FromMinutes(1),
        Flags = HybridCacheEntryFlags.DisableDistributedCache,
    };

    /// <summary>
    /// The cache key of a request: its fingerprint (<see cref="RequestFingerprint"/>: user, model,
    /// rendered messages, options, response format and schema, prompt version, chat) and the inputs it
    /// was rendered from (variables and loaded data).
    /// </summary>
    public static string KeyFor(string requestFingerprint, IReadOnlyDictionary<string, object?> inputs) =>
        RequestFingerprint.Hash(new { request = requestFingerprint, inputs = inputs.OrderBy(i => i.Key, StringComparer.Ordinal).ToList() });

    public async Task<CachedResponse?> FindAsync(string cacheKey, CancellationToken cancellationToken)
    {
        var entry = await memory.GetOrCreateAsync(MemoryKey(cacheKey), cacheKey, LoadAsync, FirstLevel, cancellationToken: cancellationToken);
        if (entry is null || entry.ExpiresAt <= clock.GetUtcNow())
        {
            // A miss is not remembered: the next identical request looks in the database again.
            await memory.RemoveAsync(MemoryKey(cacheKey), cancellationToken);
            return null;
        }
        return entry;
    }

    public async Task StoreAsync(CachedResponse entry, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO ai_response_cache (id, cache_key, prompt_key, user_id, request_hash, response_content, model,
                                           input_tokens, output_tokens, finish_reason, created_at, expires_at)
            VALUES ({entry.Id}, {entry.CacheKey}, {entry.PromptKey}, {entry.UserId}, {entry.RequestHash}, {entry.ResponseContent}, {entry.Model},
                    {entry.InputTokens}, {entry.OutputTokens}, {entry.FinishReason}, {entry.CreatedAt}, {entry.ExpiresAt})
            ON CONFLICT (cache_key) DO UPDATE SET
                response_content = excluded.response_content, model = excluded.model, input_tokens = excluded.input_tokens,
                output_tokens = excluded.output_tokens, finish_reason = excluded.finish_reason,
                created_at = excluded.created_at, expires_at = excluded.expires_at
            """, cancellationToken);
        await memory.SetAsync(MemoryKey(entry.CacheKey), entry, FirstLevel, cancellationToken: cancellationToken);
    }

    /// <summary>Deletes expired entries; returns how many.</summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return await db.CachedResponses.Where(c => c.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
    }

    private async ValueTask<CachedResponse?> LoadAsync(string cacheKey, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return await db.CachedResponses.AsNoTracking().FirstOrDefaultAsync(c => c.CacheKey == cacheKey && c.ExpiresAt > now, cancellationToken);
    }

    private static string MemoryKey(string cacheKey) => "ai-cache:" + cacheKey;
}
