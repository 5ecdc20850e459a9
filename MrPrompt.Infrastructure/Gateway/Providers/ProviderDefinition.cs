using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>A provider the gateway can call: how to reach it, which models it offers and what they cost.</summary>
public sealed record ProviderDefinition
{
    public required string Id { get; init; }
    public required string DisplayName { get; init; }
    public required ProviderKind Kind { get; init; }
    public string? BaseUrl { get; init; }
    public string? DefaultModel { get; init; }
    public IReadOnlyList<ModelDefinition> Models { get; init; } = [];

    /// <summary>The operator's key from configuration; null for providers only users bring keys for.</summary>
    public string? SystemApiKey { get; init; }

    /// <summary>Whether people without their own key may use <see cref="SystemApiKey"/>.</summary>
    public bool SharedWithUsers { get; init; } = true;

    public ModelDefinition? FindModel(string model) =>
        Models.FirstOrDefault(m => string.Equals(m.Id, model, StringComparison.Ordinal));

    /// <summary>Whether <paramref name="model"/> looks at images: as configured, else as known by name; never the offline demo.</summary>
    public bool SeesImages(string model) =>
        Kind != ProviderKind.Echo && (FindModel(model)?.Vision ?? MrPrompt.Domain.Chat.KnownVision.Sees(model));

    /// <summary>Configured price, else the published list price, else unknown.</summary>
    public ModelPrice? PriceOf(string model) =>
        Kind == ProviderKind.Echo ? ModelPrice.Free : FindModel(model)?.Price ?? KnownPrices.For(model);
}

/// <summary>A model of a provider, with its price, context window and where to go when it fails.</summary>
public sealed record ModelDefinition(string Id)
{
    public ModelPrice? Price { get; init; }

    /// <summary>Tokens the model accepts in one call, when known; the chat trims history to fit.</summary>
    public int? ContextWindow { get; init; }

    /// <summary>Tried in order when this model fails before its first token.</summary>
    public IReadOnlyList<ModelRef> Fallbacks { get; init; } = [];

    /// <summary>Whether it looks at images; null: as <see cref="MrPrompt.Domain.Chat.KnownVision"/> knows the model by name.</summary>
    public bool? Vision { get; init; }

    /// <summary>The roles that may use it through the system key; empty: every role. Someone's own key is theirs to spend.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    public bool AllowsRole(string role) => Roles.Count == 0 || Roles.Contains(role, StringComparer.OrdinalIgnoreCase);
}
