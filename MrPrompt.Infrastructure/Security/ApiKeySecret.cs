using System.Security.Cryptography;
using System.Text;
using MrPrompt.Domain.ApiKeys;

namespace MrPrompt.Infrastructure.Security;

/// <summary>Making and recognising <c>mrp_</c> keys: 32 random bytes, base64url, stored as a SHA-256 hash.</summary>
public static class ApiKeySecret
{
    /// <summary>Characters after <c>mrp_</c> kept in clear to tell keys apart; far too few to guess the rest.</summary>
    public const int VisibleCharacters = 6;

    public static string NewKey() => NewSecret(ApiKeyRules.KeyPrefix);

    /// <summary><paramref name="prefix"/> and 32 random bytes, base64url: a secret to store only as its <see cref="Hash"/>.</summary>
    public static string NewSecret(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string PrefixOf(string key) => key[..(ApiKeyRules.KeyPrefix.Length + VisibleCharacters)];

    /// <summary>Cheap shape check before any database lookup: the prefix and a plausible length.</summary>
    public static bool LooksLikeKey(string? value) =>
        value is { Length: > 20 and < 100 } && value.StartsWith(ApiKeyRules.KeyPrefix, StringComparison.Ordinal);
}
