using System.ComponentModel.DataAnnotations;
using MrPrompt.Domain.Knowledge;

namespace MrPrompt.Infrastructure.Knowledge;

/// <summary>The <c>Knowledge</c> section: document limits, passage sizes, retrieval.</summary>
public sealed class KnowledgeOptions
{
    public const string SectionName = "Knowledge";

    /// <summary>The largest document accepted, in bytes (an upload or pasted text).</summary>
    [Range(1_000, 500_000_000)]
    public int MaxDocumentBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>The longest passage, in characters (about a quarter as many tokens in English).</summary>
    [Range(200, 20_000)]
    public int ChunkCharacters { get; set; } = 1200;

    /// <summary>Characters of the previous passage each passage repeats.</summary>
    [Range(0, 5_000)]
    public int ChunkOverlapCharacters { get; set; } = 150;

    /// <summary>Passages given to an answer to cite.</summary>
    [Range(1, 50)]
    public int PassagesPerAnswer { get; set; } = 5;

    /// <summary>Attempts of an ingestion whose embedding calls fail for a passing reason.</summary>
    [Range(1, 20)]
    public int MaxIngestAttempts { get; set; } = 3;

    /// <summary>Ingestions run at once on one instance; each already keeps the embedding model busy.</summary>
    [Range(1, 64)]
    public int IngestionsAtOnce { get; set; } = 1;

    /// <summary>
    /// Memory an instance gives to passage vectors for search, over all collections, in MiB (384 dimensions: 1.5 KiB a
    /// passage; 3,072: 12 KiB). The least recently searched collections are let go past it.
    /// </summary>
    [Range(16, 1_000_000)]
    public int MaxCachedMegabytes { get; set; } = 2_048;

    /// <summary>How often the ingestion event stream looks at a document's progress.</summary>
    [Range(10, 10_000)]
    public int ProgressPollMilliseconds { get; set; } = 250;

    /// <summary>Seconds between keepalive frames on the ingestion event stream.</summary>
    [Range(1, 300)]
    public int KeepaliveSeconds { get; set; } = 15;

    public ChunkingOptions Chunking => new(ChunkCharacters, Math.Min(ChunkOverlapCharacters, ChunkCharacters / 2));
}
