namespace MrPrompt.Domain.Gateway;

/// <summary>
/// A request a program marked with an idempotency key (docs/contracts.md, "Idempotency"): the first one runs; a repeat
/// asking the model the same thing (the same request fingerprint: model, messages or rendered prompt, options, prompt
/// version) within <see cref="Lifetime"/> of the first gets the stored answer, or joins it while it runs; one asking
/// something else is refused.
/// </summary>
public sealed class IdempotencyRecord
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);
    public const int KeyMaxLength = 255;

    public Guid UserId { get; set; }
    public string Key { get; set; } = "";
    public string RequestHash { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set when the call finished with an answer; a failed call releases its key instead.</summary>
    public DateTimeOffset? CompletedAt { get; set; }
    public string? ResponseContent { get; set; }
    public string? Model { get; set; }
    public int InputTokens { get; set; }
    public int OutputTokens { get; set; }
    public string? FinishReason { get; set; }

    public bool IsExpiredAt(DateTimeOffset now) => now - CreatedAt >= Lifetime;

    public static string? ValidateKey(string? key) =>
        key is null ? null
        : string.IsNullOrWhiteSpace(key) ? "The idempotency key must not be empty."
        : key.Length > KeyMaxLength ? $"The idempotency key can be at most {KeyMaxLength} characters."
        : null;
}
