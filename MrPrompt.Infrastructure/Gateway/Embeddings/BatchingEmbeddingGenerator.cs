using Microsoft.Extensions.AI;

namespace MrPrompt.Infrastructure.Gateway.Embeddings;

/// <summary>
/// The outermost layer: sends a request of many inputs as provider calls of at most <paramref name="maxBatch"/>
/// each, one after another (each retried on its own below), and returns every vector in input order with the
/// usage of all the calls added up.
/// </summary>
public sealed class BatchingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, int maxBatch)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values as IReadOnlyList<string> ?? values.ToList();
        if (inputs.Count <= maxBatch)
        {
            return await base.GenerateAsync(inputs, options, cancellationToken);
        }
        var all = new GeneratedEmbeddings<Embedding<float>>(inputs.Count);
        long? inputTokens = null;
        foreach (var batch in inputs.Chunk(maxBatch))
        {
            var generated = await base.GenerateAsync(batch, options, cancellationToken);
            all.AddRange(generated);
            if (generated.Usage?.InputTokenCount is { } used)
            {
                inputTokens = (inputTokens ?? 0) + used;
            }
        }
        all.Usage = inputTokens is null ? null : new UsageDetails { InputTokenCount = inputTokens, TotalTokenCount = inputTokens };
        return all;
    }
}
