using System.ComponentModel.DataAnnotations;

namespace MrPrompt.Infrastructure.Gateway.Embeddings;

/// <summary>
/// The <c>Embeddings</c> section; the seed's environment names (docs/contracts.md, "Environment variables") win over
/// it: <c>EMBED_MAX_BATCH</c>, <c>EMBED_PROVIDER_MAX_RETRIES</c>, <c>EMBED_RATE_LIMIT_PER_MIN</c>.
/// </summary>
public sealed class EmbeddingOptions
{
    public const string SectionName = "Embeddings";

    /// <summary>Inputs per provider call; a larger request is sent in batches of this size.</summary>
    [Range(1, 2048)]
    public int MaxBatch { get; set; } = 64;

    /// <summary>Retries of a failed provider call (timeouts, rate limits, server errors), after the first attempt.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>Embedding requests per user per minute over HTTP; ingestion jobs are not refused by it.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>Inputs one request may carry.</summary>
    [Range(1, 100_000)]
    public int MaxInputs { get; set; } = 2048;

    /// <summary>Characters one input may have (the offline model reads its first 256 tokens; providers about 8k).</summary>
    [Range(1, 1_000_000)]
    public int MaxInputCharacters { get; set; } = 32_000;

    /// <summary>Whether the offline model is offered (about 90 MB of memory once loaded).</summary>
    public bool LocalModelEnabled { get; set; } = true;

    public const string MaxBatchVariable = "EMBED_MAX_BATCH";
    public const string MaxRetriesVariable = "EMBED_PROVIDER_MAX_RETRIES";
    public const string RequestsPerMinuteVariable = "EMBED_RATE_LIMIT_PER_MIN";
}
