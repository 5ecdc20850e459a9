using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Credentials;

/// <summary>A stored key as its owner sees it: never the key, only its last characters.</summary>
public sealed record CredentialView(
    Guid Id,
    string Provider,
    string ProviderName,
    ProviderKind Kind,
    string Name,
    string? BaseUrl,
    string KeyHint,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? ExpiresAt,
    CredentialStatus Status);

/// <summary>What the Settings form sends to add a key. <see cref="Provider"/> is a preset id or <c>custom</c>.</summary>
/// <param name="Unchecked">Store without asking the provider first: for an installation that cannot reach it now.</param>
public sealed record NewCredential(string Provider, string Name, string Key, string? BaseUrl = null, DateTimeOffset? ExpiresAt = null, bool Unchecked = false);
