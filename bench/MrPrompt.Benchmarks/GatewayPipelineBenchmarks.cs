using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Middleware;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Benchmarks;

/// <summary>
/// What the gateway adds per call: retry, usage log, circuit breaker, OpenTelemetry and the fallback
/// layer, around a provider that answers from memory, against calling that provider directly.
/// </summary>
[MemoryDiagnoser]
public class GatewayPipelineBenchmarks
{
    private static readonly List<ChatMessage> Messages = [new(ChatRole.User, "Hello, world!")];
    private readonly IChatClient _provider = new InProcessChatClient();
    private IChatClient _pipeline = null!;
    private ChatOptions _options = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = Options.Create(new GatewayOptions());
        var pipeline = new ChatGatewayPipeline(
            new ProviderClientFactory(options, new ProviderHttp(new PublicOnlyConnector(options)), TimeProvider.System),
            new CircuitBreakerRegistry(TimeProvider.System, options),
            new DiscardingSink(),
            new TiktokenCounter(),
            TimeProvider.System,
            NullLoggerFactory.Instance,
            options,
            new Microsoft.Extensions.Caching.Memory.MemoryCache(new Microsoft.Extensions.Caching.Memory.MemoryCacheOptions()));
        var provider = new ProviderDefinition { Id = "bench", DisplayName = "Bench", Kind = ProviderKind.OpenAICompatible, BaseUrl = "http://127.0.0.1:9/v1" };
        var target = new GatewayTarget(provider, new ProviderEndpoint("bench", "Bench", ProviderKind.OpenAICompatible, provider.BaseUrl, "unused"), "gpt-4o-mini", null);
        _pipeline = new ChatClientBuilder(pipeline.ForModel(target, _provider))
            .UseFallback([pipeline.ForModel(target, _provider)])
            .Build();
        var call = new GatewayCall { UserId = Guid.NewGuid(), Source = UsageSource.Api, TraceId = "bench" };
        _options = new ChatOptions();
        call.AttachTo(_options);
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> Provider_directly() => _provider.GetResponseAsync(Messages, _options);

    [Benchmark]
    public Task<ChatResponse> Through_the_pipeline() => _pipeline.GetResponseAsync(Messages, _options);

    [Benchmark]
    public async Task<int> Provider_directly_streaming()
    {
        var count = 0;
        await foreach (var _ in _provider.GetStreamingResponseAsync(Messages, _options))
        {
            count++;
        }
        return count;
    }

    [Benchmark]
    public async Task<int> Through_the_pipeline_streaming()
    {
        var count = 0;
        await foreach (var _ in _pipeline.GetStreamingResponseAsync(Messages, _options))
        {
            count++;
        }
        return count;
    }

    /// <summary>Counts rows instead of writing them: the writer has its own benchmark.</summary>
    private sealed class DiscardingSink : IUsageSink
    {
        private long _rows;

        public void Record(UsageRecord record) => Interlocked.Increment(ref _rows);
    }
}
