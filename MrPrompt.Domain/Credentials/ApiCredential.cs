using MrPrompt.Domain.Common;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Domain.Credentials;

/// <summary>
/// A user's own key for a provider (<c>api_credentials</c>; docs/contracts.md, "Tables"). The key itself is stored only
/// encrypted; <see cref="KeyHint"/> (its last four characters) lets people tell keys apart.
/// </summary>
public sealed class ApiCredential : IAuditable
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }

    /// <summary>The provider id calls name (<c>openai</c>, <c>groq</c>, or a custom endpoint's slug). One key per provider and user.</summary>
    public string Provider { get; set; } = "";

    public ProviderKind Kind { get; set; }

    /// <summary>What the user called it.</summary>
    public string Name { get; set; } = "";

    /// <summary>For OpenAI-compatible endpoints: where to send calls.</summary>
    public string? BaseUrl { get; set; }

    public string EncryptedKey { get; set; } = "";
    public string KeyHint { get; set; } = "";
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public CredentialStatus StatusAt(DateTimeOffset now) => CredentialRules.StatusOf(ExpiresAt, now);
}
