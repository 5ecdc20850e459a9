using Microsoft.Extensions.AI;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Infrastructure.Gateway.Embeddings;

/// <summary>
/// One usage row per provider call, as for chat: input tokens from the provider's report, or counted and flagged when
/// it sent none (the offline model never does); latency; cost at the model's price; the error code of a failure.
/// Every attempt's spend is added to the call for the caller's limits and budget.
/// </summary>
public sealed class UsageLoggingEmbeddingGenerator(
    IEmbeddingGenerator<string, Embedding<float>> inner, string provider, string model, ModelPrice? price, IUsageSink sink, ITokenCounter tokens, TimeProvider clock)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private readonly ModelRef _model = new(provider, model);

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values as IReadOnlyList<string> ?? values.ToList();
        var started = clock.GetTimestamp();
        try
        {
            var generated = await base.GenerateAsync(inputs, options, cancellationToken);
            var reported = generated.Usage?.InputTokenCount;
            var input = (int)(reported ?? inputs.Sum(tokens.Count));
            Write(options, started, UsageStatus.Success, null, input, reported is null, price?.CostOf(input, 0));
            return generated;
        }
        catch (Exception ex)
        {
            var stopped = ex is OperationCanceledException && cancellationToken.IsCancellationRequested;
            FailedAttempt.Note(ex, _model);
            Write(options, started, stopped ? UsageStatus.Cancelled : UsageStatus.Error,
                stopped ? "cancelled" : ProviderErrors.Classify(ex, provider, model).Error.CodeName, 0, false, 0m);
            throw;
        }
    }

    private void Write(EmbeddingGenerationOptions? options, long started, UsageStatus status, string? errorCode, int input, bool estimated, decimal? cost)
    {
        if (GatewayCall.From(options) is not { } call)
        {
            return;
        }
        call.Spend.Add(input, cost);
        var measures = new AttemptMeasures(input, 0, estimated, cost, null, clock.GetElapsedTime(started));
        sink.Record(call.UsageRow(_model, status, GatewayCall.AttemptOf(options), measures, errorCode, clock.GetUtcNow()));
    }
}
