using System.Security.Cryptography;
using System.Text;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>Everything needed to open an SDK client: which SDK, where, with which key. The key is secret.</summary>
public sealed record ProviderEndpoint(string ProviderId, string DisplayName, ProviderKind Kind, string? BaseUrl, string? ApiKey)
{
    /// <summary>
    /// Kind, address and a hash of the key: identifies this endpoint in caches without holding the
    /// key in readable form. Computed once per endpoint, not per lookup.
    /// </summary>
    public string Fingerprint { get; } =
        $"{Kind}|{BaseUrl}|{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ApiKey ?? "")))}";

    // Keeps the key out of logs and exception messages that format records.
    public override string ToString() => $"{ProviderId} ({Kind}{(BaseUrl is null ? "" : " at " + BaseUrl)})";
}
