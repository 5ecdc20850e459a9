using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Gateway.Middleware;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// Assembles the chat client pipeline for a call, outermost first: fallback across models → per model:
/// retry → usage log → circuit breaker → OpenTelemetry GenAI spans → error shield → the provider's SDK client.
/// Per-model pipelines are kept for reuse (their telemetry layer owns an ActivitySource and a Meter,
/// too costly to create per call) and disposed when they fall out of use.
/// </summary>
public sealed class ChatGatewayPipeline(
    ProviderClientFactory clients,
    CircuitBreakerRegistry breakers,
    IUsageSink usage,
    ITokenCounter tokens,
    TimeProvider clock,
    ILoggerFactory loggerFactory,
    IOptions<GatewayOptions> options,
    IMemoryCache cache)
{
    public const string TelemetrySourceName = "MrPrompt.Gateway";
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(30);

    public IChatClient Build(GatewayTarget primary, IReadOnlyList<GatewayTarget> fallbacks) =>
        new ChatClientBuilder(Cached(primary))
            .UseFallback(fallbacks.Select(Cached).ToList())
            .Build();

    private IChatClient Cached(GatewayTarget target) =>
        cache.GetOrCreate(CacheKey(target), entry =>
        {
            entry.SlidingExpiration = IdleLifetime;
            entry.RegisterPostEvictionCallback(static (_, value, _, _) => (value as IDisposable)?.Dispose());
            return ForModel(target);
        })!;

    private static string CacheKey(GatewayTarget target) =>
        $"pipeline|{target.Provider.Id}|{target.Endpoint.Fingerprint}|{target.Model}|{target.Price}";

    /// <summary>One model's pipeline; <paramref name="sdkClient"/> replaces the SDK client in benchmarks.</summary>
    public IChatClient ForModel(GatewayTarget target, IChatClient? sdkClient = null)
    {
        var settings = options.Value;
        var provider = target.Provider.Id;
        return new ChatClientBuilder(new NonOwningChatClient(sdkClient ?? clients.CreateChatClient(target.Endpoint, target.Model)))
            .UseRetry(target.Provider.DisplayName, target.Model, settings.MaxAttempts, settings.Backoff, TimeSpan.FromSeconds(settings.FirstTokenTimeoutSeconds), clock)
            .UseUsageLogging(provider, target.Model, target.Price, usage, tokens, clock)
            .UseCircuitBreaker(breakers.For(target.Endpoint), target.Provider.DisplayName, target.Model)
            // Message text goes into spans only when someone asked for Trace-level detail.
            .UseOpenTelemetry(new StoppedCallsAreNotWarnings(loggerFactory), TelemetrySourceName, otel =>
                otel.EnableSensitiveData = loggerFactory.CreateLogger(TelemetrySourceName).IsEnabled(LogLevel.Trace))
            .UseProviderErrorShield(target.Provider.DisplayName, target.Model)
            .Build();
    }
}
