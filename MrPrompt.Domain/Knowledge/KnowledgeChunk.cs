namespace MrPrompt.Domain.Knowledge;

/// <summary>
/// One passage of a document with its vector (a <c>vector_documents</c> row): unique per collection, document and
/// <see cref="ChunkIndex"/>, so running an ingestion again replaces rows rather than adding them.
/// </summary>
public sealed class KnowledgeChunk
{
    public Guid Id { get; set; }
    public Guid CollectionId { get; set; }
    public Guid DocumentId { get; set; }

    /// <summary>Its place in the document, from 0.</summary>
    public int ChunkIndex { get; set; }

    /// <summary>The headings above the passage ("Install › Linux"), when the document has any.</summary>
    public string? Heading { get; set; }

    public string Content { get; set; } = "";

    /// <summary>Where the passage starts in the document's extracted text, in characters.</summary>
    public int StartOffset { get; set; }

    /// <summary>Unit length, so cosine similarity is a dot product.</summary>
    public float[] Embedding { get; set; } = [];

    /// <summary>"provider/model" that made <see cref="Embedding"/>.</summary>
    public string Model { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}
