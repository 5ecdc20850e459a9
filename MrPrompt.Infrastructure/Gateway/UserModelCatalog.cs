using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway.Providers;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>A model a person can pick, labelled for lists by its provider's display name.</summary>
public sealed record ModelChoice(ModelRef Ref, string ProviderName, bool IsOfflineDemo)
{
    /// <summary>The demo has one model, so its provider's name says it all.</summary>
    public string Label => IsOfflineDemo ? ProviderName : $"{ProviderName} · {Ref.Model}";
}

/// <summary>
/// Every model a user can call now: the system providers open to them and the providers they brought
/// keys for. Model lists come from configuration or, when none is configured, from the provider's own
/// models endpoint, cached for a while.
/// </summary>
public sealed partial class UserModelCatalog(
    ProviderCatalog catalog,
    CredentialService credentials,
    GatewayTargetResolver resolver,
    ProviderClientFactory clients,
    IMemoryCache cache,
    ILogger<UserModelCatalog> logger)
{
    private static readonly TimeSpan ListingLifetime = TimeSpan.FromMinutes(10);

    // A provider that could not list its models is asked again soon, not on every page load.
    private static readonly TimeSpan FailedListingLifetime = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ListingTimeout = TimeSpan.FromSeconds(5);

    public async Task<IReadOnlyList<ModelChoice>> ListAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        var providerIds = catalog.All.Select(p => p.Id)
            .Concat((await credentials.ListAsync(userId, cancellationToken)).Select(c => c.Provider))
            .Distinct(StringComparer.OrdinalIgnoreCase);
        var choices = new List<ModelChoice>();
        foreach (var providerId in providerIds)
        {
            var probe = catalog.Find(providerId)?.DefaultModel ?? ProviderPreset.Find(providerId)?.DefaultModel ?? "default";
            var (target, _) = await resolver.ResolveAsync(userId, new ModelRef(providerId, probe), cancellationToken);
            if (target is null)
            {
                continue;
            }
            foreach (var model in await ModelsOfAsync(target, cancellationToken))
            {
                choices.Add(new ModelChoice(new ModelRef(target.Provider.Id, model), target.Provider.DisplayName, target.Provider.Kind == ProviderKind.Echo));
            }
        }
        // The offline demo last: real models first for anyone who has them.
        return choices.OrderBy(c => c.IsOfflineDemo).ThenBy(c => c.ProviderName, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Ref.Model, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// <paramref name="preferred"/> when the user can call it, else the first model they can (real models
    /// before the offline demo) that <paramref name="allowed"/> lets through; null when there is none. For
    /// built-in prompts, whose seed names a model (OpenAI's) that a new installation may not have.
    /// </summary>
    public async Task<ModelRef?> PreferredOrFirstAsync(Guid userId, ModelRef? preferred, Func<ModelRef, bool> allowed, CancellationToken cancellationToken = default)
    {
        // Whether the preferred model can be called is a key lookup; the list (models endpoints asked) only when it cannot.
        if (preferred is { } model && allowed(model) && (await resolver.ResolveAsync(userId, model, cancellationToken)).Target is not null)
        {
            return model;
        }
        return (await ListAsync(userId, cancellationToken)).FirstOrDefault(c => allowed(c.Ref))?.Ref;
    }

    private async Task<IReadOnlyList<string>> ModelsOfAsync(GatewayTarget target, CancellationToken cancellationToken)
    {
        if (target.Provider.Models.Count > 0)
        {
            return target.Provider.Models.Select(m => m.Id).ToList();
        }
        var cacheKey = $"models:{target.Provider.Id}:{target.CredentialId?.ToString() ?? "system"}";
        if (cache.TryGetValue(cacheKey, out IReadOnlyList<string>? listed) && listed is not null)
        {
            return listed;
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ListingTimeout);
            listed = (await clients.ListModelsAsync(target.Endpoint, timeout.Token)).Order(StringComparer.Ordinal).ToList();
            cache.Set(cacheKey, listed, ListingLifetime);
            return listed;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogListingFailed(logger, target.Provider.Id, ex.GetType().Name);
            listed = target.Provider.DefaultModel is { } fallback ? [fallback] : [];
            cache.Set(cacheKey, listed, FailedListingLifetime);
            return listed;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Could not list the models of {Provider} ({Reason}); offering its default model")]
    private static partial void LogListingFailed(ILogger logger, string provider, string reason);
}
