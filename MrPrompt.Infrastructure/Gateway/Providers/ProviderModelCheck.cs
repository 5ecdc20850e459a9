using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// Once after start, asks each system provider configured without a <c>Models</c> list for its models,
/// and warns when it cannot answer: such a provider otherwise offers people only its default model (or
/// nothing), and nobody would know why. Runs in the background so an unreachable provider never delays
/// start. What it learns is what the system key then serves (<see cref="ProviderModels"/>).
/// </summary>
public sealed partial class ProviderModelCheck(ProviderCatalog catalog, ProviderModels models, ILogger<ProviderModelCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var provider in catalog.All.Where(NeedsListing))
        {
            var offered = provider.DefaultModel is { } model ? $"only its default model {model}" : "no model";
            try
            {
                // Asked here first, the answer is kept: the first call on the system key does not wait for it.
                var endpoint = new ProviderEndpoint(provider.Id, provider.DisplayName, provider.Kind, provider.BaseUrl, provider.SystemApiKey);
                var listing = await models.ListAsync(provider, endpoint, null, stoppingToken);
                if (listing.Failure is { } failure)
                {
                    LogNoModels(logger, provider.Id, $"its models endpoint did not answer ({failure})", offered);
                }
                else if (listing.Models.Count == 0)
                {
                    LogNoModels(logger, provider.Id, "it listed none", offered);
                }
                else
                {
                    LogListed(logger, provider.Id, listing.Models.Count);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Providers people use on the system key whose models nobody configured.</summary>
    private static bool NeedsListing(ProviderDefinition provider) =>
        provider.Models.Count == 0 && provider.Kind != ProviderKind.Echo
        && (provider.SystemApiKey is not null || provider.Kind == ProviderKind.OpenAICompatible);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} has no Models list and {Reason}: people are offered {Offered} until it answers. List its models with Providers__{Provider}__Models__0, __1, …")]
    private static partial void LogNoModels(ILogger logger, string provider, string reason, string offered);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider} lists {Count} models")]
    private static partial void LogListed(ILogger logger, string provider, int count);
}
