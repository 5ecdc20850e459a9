using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Knowledge;

/// <summary>
/// One uploaded or pasted document of a collection, kept as it came (<see cref="Source"/>) so an ingestion can run
/// again (after a failure, or when the collection's model changes) without asking for the file twice.
/// </summary>
public sealed class KnowledgeDocument : IAuditable
{
    public Guid Id { get; set; }
    public Guid CollectionId { get; set; }
    public Guid OwnerId { get; set; }
    public string Title { get; set; } = "";
    public string? FileName { get; set; }
    public DocumentType Format { get; set; }

    /// <summary>SHA-256 of <see cref="Source"/> in hex: the same content twice in a collection is refused.</summary>
    public string ContentHash { get; set; } = "";

    public byte[] Source { get; set; } = [];
    public int SizeBytes { get; set; }
    public DocumentStatus Status { get; set; } = DocumentStatus.Queued;

    /// <summary>Chunks embedded so far out of <see cref="ChunksTotal"/> (0 until the text is chunked).</summary>
    public int ChunksDone { get; set; }

    public int ChunksTotal { get; set; }

    /// <summary>Why the ingestion failed, in words for the person who uploaded it.</summary>
    public string? Error { get; set; }

    /// <summary>The ingestion job that runs (or last ran) for it.</summary>
    public Guid? JobId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum DocumentType
{
    Text,
    Markdown,
    Html,
    Pdf,
    Docx,
}

public enum DocumentStatus
{
    Queued,
    Embedding,
    Ready,
    Failed,
}
