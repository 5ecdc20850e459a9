using System.Security.Cryptography;
using System.Text;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>Everything needed to open an SDK client: which SDK, where, with which key. The key is secret.</summary>
/// <param name="PublicOnly">
/// The address came from a person (a personal key's base URL), not the operator: it may reach only public
/// addresses (<see cref="PublicOnlyConnector"/>) and redirects are not followed.
/// </param>
public sealed record ProviderEndpoint(string ProviderId, string DisplayName, ProviderKind Kind, string? BaseUrl, string? ApiKey, bool PublicOnly = false)
{
    /// <summary>A personal key's endpoint: at the address its owner gave (or the provider's public one).</summary>
    public static ProviderEndpoint Personal(string providerId, string displayName, ProviderKind kind, string? baseUrl, string? key) =>
        new(providerId, displayName, kind, baseUrl, key, PublicOnly: true);

    /// <summary>
    /// Kind, address and a hash of the key: identifies this endpoint in caches without holding the
    /// key in readable form. Computed once per endpoint, not per lookup.
    /// </summary>
    public string Fingerprint { get; } =
        $"{Kind}|{(PublicOnly ? "public" : "any")}|{BaseUrl}|{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ApiKey ?? "")))}";

    // Keeps the key out of logs and exception messages that format records.
    public override string ToString() => $"{ProviderId} ({Kind}{(BaseUrl is null ? "" : " at " + BaseUrl)})";
}
