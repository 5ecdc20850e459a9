namespace MrPrompt.Domain.Gateway;

/// <summary>
/// A stored answer that identical requests may reuse until <see cref="ExpiresAt"/> (a row of
/// <c>ai_response_cache</c>; docs/contracts.md, "Response cache"). The key hashes the caller too, so answers are never shared across users.
/// </summary>
public sealed class CachedResponse
{
    public Guid Id { get; set; }
    public string CacheKey { get; set; } = "";
    public string PromptKey { get; set; } = "";
    public Guid UserId { get; set; }

    /// <summary>The hash of the request as sent, for spotting stale or colliding entries when debugging.</summary>
    public string RequestHash { get; set; } = "";
    public string ResponseContent { get; set; } = "";

    /// <summary>The answering model as <c>provider/model</c>.</summary>
    public string Model { get; set; } = "";
    public int InputTokens { get; set; }
    public int OutputTokens { get; set; }
    public string? FinishReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}
