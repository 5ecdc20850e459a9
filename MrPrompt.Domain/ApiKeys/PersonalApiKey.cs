namespace MrPrompt.Domain.ApiKeys;

/// <summary>
/// A key a user made for programs calling MrPrompt (<c>mrp_…</c>). Only a hash of the key is stored;
/// <see cref="Prefix"/> (its first characters) lets people tell keys apart.
/// </summary>
public sealed class PersonalApiKey
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public string Name { get; set; } = "";

    /// <summary><c>mrp_</c> and the first characters of the secret, shown in lists.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>SHA-256 of the whole key, hex. Keys carry 256 random bits, so a fast hash is enough.</summary>
    public string Hash { get; set; } = "";

    /// <summary>Models ("provider/model") the key may call; empty means every model the user can call.</summary>
    public List<string> AllowedModels { get; set; } = [];

    /// <summary>What the key may do beyond calling models (<see cref="ApiKeyScopes"/>): none, unless asked for when made.</summary>
    public List<string> Scopes { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    public bool IsUsableAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}
