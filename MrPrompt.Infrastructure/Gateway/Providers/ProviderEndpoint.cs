using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>Everything needed to open an SDK client: which SDK, where, with which key. The key is secret.</summary>
public sealed record ProviderEndpoint(string ProviderId, string DisplayName, ProviderKind Kind, string? BaseUrl, string? ApiKey)
{
    // Keeps the key out of logs and exception messages that format records.
    public override string ToString() => $"{ProviderId} ({Kind}{(BaseUrl is null ? "" : " at " + BaseUrl)})";
}
