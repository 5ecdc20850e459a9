using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Gateway.Middleware;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// Assembles the chat client pipeline for a call, outermost first: fallback across models → per model:
/// retry → usage log → circuit breaker → OpenTelemetry GenAI spans → the provider's SDK client.
/// </summary>
public sealed class ChatGatewayPipeline(
    ProviderClientFactory clients,
    CircuitBreakerRegistry breakers,
    IUsageSink usage,
    ITokenCounter tokens,
    TimeProvider clock,
    ILoggerFactory loggerFactory,
    IOptions<GatewayOptions> options)
{
    public const string TelemetrySourceName = "MrPrompt.Gateway";

    public IChatClient Build(GatewayTarget primary, IReadOnlyList<GatewayTarget> fallbacks) =>
        new ChatClientBuilder(ForModel(primary))
            .UseFallback(fallbacks.Select(f => ForModel(f)).ToList())
            .Build();

    /// <summary>One model's pipeline; <paramref name="sdkClient"/> replaces the SDK client in benchmarks.</summary>
    public IChatClient ForModel(GatewayTarget target, IChatClient? sdkClient = null)
    {
        var settings = options.Value;
        var provider = target.Provider.Id;
        return new ChatClientBuilder(sdkClient ?? clients.CreateChatClient(target.Endpoint, target.Model))
            .UseRetry(target.Provider.DisplayName, target.Model, settings.MaxAttempts, settings.Backoff, TimeSpan.FromSeconds(settings.FirstTokenTimeoutSeconds), clock)
            .UseUsageLogging(provider, target.Model, target.Price, usage, tokens, clock)
            .UseCircuitBreaker(breakers.For(provider), target.Provider.DisplayName, target.Model)
            // Message text goes into spans only when someone asked for Trace-level detail.
            .UseOpenTelemetry(loggerFactory, TelemetrySourceName, otel =>
                otel.EnableSensitiveData = loggerFactory.CreateLogger(TelemetrySourceName).IsEnabled(LogLevel.Trace))
            .Build();
    }
}
