namespace MrPrompt.Domain.Accounts;

/// <summary>
/// An admin's invitation to create an account, handed over as a link: it works once, until it expires
/// or is withdrawn. Only a hash of its code is stored. It may name the one email it is for, and gives
/// the new account its role.
/// </summary>
public sealed class Invitation
{
    public Guid Id { get; set; }

    /// <summary>SHA-256 of the link's code, hex. Codes carry 256 random bits, so a fast hash is enough.</summary>
    public string CodeHash { get; set; } = "";

    /// <summary>The only email that may register with it; null: whoever holds the link.</summary>
    public string? Email { get; set; }

    public string Role { get; set; } = AppRoles.User;
    public Guid CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }

    /// <summary>The account made with it.</summary>
    public Guid? UsedBy { get; set; }
    public DateTimeOffset? WithdrawnAt { get; set; }

    public bool IsOpenAt(DateTimeOffset now) => UsedAt is null && WithdrawnAt is null && ExpiresAt > now;

    public bool IsFor(string email) => Email is null || string.Equals(Email, email.Trim(), StringComparison.OrdinalIgnoreCase);
}
