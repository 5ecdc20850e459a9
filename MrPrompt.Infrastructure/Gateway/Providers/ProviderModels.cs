using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>What an endpoint offers: <see cref="Models"/>, and why it is only the default model when the listing failed.</summary>
public sealed record ModelListing(IReadOnlyList<string> Models, string? Failure);

/// <summary>
/// The models a provider offers through a key: its configured list, else what its models endpoint
/// lists (kept for an hour, or a minute after a failure, when only its default model is offered). The
/// system key serves only these; the pickers show them.
/// </summary>
public sealed partial class ProviderModels(ProviderClientFactory clients, IMemoryCache cache, ILogger<ProviderModels> logger)
{
    private static readonly TimeSpan ListingLifetime = TimeSpan.FromHours(1);

    // A provider that could not list its models is asked again soon, not on every call.
    private static readonly TimeSpan FailedListingLifetime = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ListingTimeout = TimeSpan.FromSeconds(5);

    public async Task<ModelListing> ListAsync(ProviderDefinition provider, ProviderEndpoint endpoint, Guid? credentialId, CancellationToken cancellationToken)
    {
        if (provider.Models.Count > 0)
        {
            return new ModelListing(provider.Models.Select(m => m.Id).ToList(), null);
        }
        if (provider.Kind == ProviderKind.Echo)
        {
            return new ModelListing([EchoChatClient.ModelId], null);
        }
        var cacheKey = $"models:{provider.Id}:{credentialId?.ToString() ?? "system"}";
        if (cache.TryGetValue(cacheKey, out ModelListing? listing) && listing is not null)
        {
            return listing;
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ListingTimeout);
            listing = new ModelListing((await clients.ListModelsAsync(endpoint, timeout.Token)).Order(StringComparer.Ordinal).ToList(), null);
            cache.Set(cacheKey, listing, ListingLifetime);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The type only: provider error messages may quote the request.
            LogListingFailed(logger, provider.Id, ex.GetType().Name);
            listing = new ModelListing(provider.DefaultModel is { } fallback ? [fallback] : [], ex.GetType().Name);
            cache.Set(cacheKey, listing, FailedListingLifetime);
        }
        return listing;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Could not list the models of {Provider} ({Reason}); offering its default model")]
    private static partial void LogListingFailed(ILogger logger, string provider, string reason);
}
