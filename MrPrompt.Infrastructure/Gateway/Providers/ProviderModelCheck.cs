using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// Once after start, asks each system provider configured without a <c>Models</c> list for its models,
/// and warns when it cannot answer: such a provider otherwise offers people only its default model (or
/// nothing), and nobody would know why. Runs in the background so an unreachable provider never delays
/// start.
/// </summary>
public sealed partial class ProviderModelCheck(ProviderCatalog catalog, ProviderClientFactory clients, ILogger<ProviderModelCheck> logger) : BackgroundService
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var provider in catalog.All.Where(NeedsListing))
        {
            var offered = provider.DefaultModel is { } model ? $"only its default model {model}" : "no model";
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(Timeout);
                var endpoint = new ProviderEndpoint(provider.Id, provider.DisplayName, provider.Kind, provider.BaseUrl, provider.SystemApiKey);
                var listed = await clients.ListModelsAsync(endpoint, timeout.Token);
                if (listed.Count == 0)
                {
                    LogNoModels(logger, provider.Id, "it listed none", offered);
                }
                else
                {
                    LogListed(logger, provider.Id, listed.Count);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The type only: provider error messages may quote the request, and never belong in logs whole.
                LogNoModels(logger, provider.Id, $"its models endpoint did not answer ({ex.GetType().Name})", offered);
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
