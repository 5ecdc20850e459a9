using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace MrPrompt.Infrastructure.Security;

/// <summary>
/// Encrypts provider keys for storage (authenticated encryption from Data Protection, one purpose for
/// this kind of secret). Tampered or orphaned ciphertext is refused, never decrypted to garbage.
/// </summary>
public sealed class CredentialProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("MrPrompt.ProviderCredentials.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    /// <summary>The plaintext, or null when this ciphertext can no longer be decrypted.</summary>
    public string? TryUnprotect(string protectedSecret)
    {
        try
        {
            return _protector.Unprotect(protectedSecret);
        }
        catch (CryptographicException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
