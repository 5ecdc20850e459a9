using System.Text.Json.Serialization;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Infrastructure.Knowledge;

namespace MrPrompt.Web.Endpoints.Knowledge;

/// <summary><c>POST /api/knowledge</c>'s body (docs/contracts.md, "Knowledge API").</summary>
public sealed record CollectionRequest
{
    [JsonPropertyName("name")] public string? Name { get; init; }

    /// <summary><c>private</c> (the default) or <c>shared</c>.</summary>
    [JsonPropertyName("visibility")] public string? Visibility { get; init; }

    [JsonPropertyName("embedding_model")] public string? EmbeddingModel { get; init; }
}

/// <summary><c>PATCH /api/knowledge/{id}</c>: another embedding model, which re-embeds the collection.</summary>
public sealed record CollectionChange([property: JsonPropertyName("embedding_model")] string? EmbeddingModel);

/// <summary>Pasted text: <c>POST /api/knowledge/{id}/documents</c> with a JSON body.</summary>
public sealed record TextDocumentRequest(
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("text")] string? Text);

public sealed record SearchRequestBody(
    [property: JsonPropertyName("query")] string? Query,
    [property: JsonPropertyName("top_k")] int? TopK);

public sealed record CollectionWire(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("visibility")] string Visibility,
    [property: JsonPropertyName("embedding_model")] string EmbeddingModel,
    [property: JsonPropertyName("owned")] bool Owned,
    [property: JsonPropertyName("documents")] int Documents,
    [property: JsonPropertyName("ready_documents")] int ReadyDocuments,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt)
{
    public static CollectionWire Of(CollectionView c) =>
        new(c.Id, c.Name, c.Visibility.ToString().ToLowerInvariant(), c.EmbeddingModel, c.Owned, c.Documents, c.ReadyDocuments, c.CreatedAt);
}

public sealed record CollectionListWire([property: JsonPropertyName("data")] IReadOnlyList<CollectionWire> Data);

public sealed record DocumentAccepted(
    [property: JsonPropertyName("document_id")] Guid DocumentId,
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("status")] string Status);

/// <summary>A document and where its ingestion stands: queued, embedding (with progress), ready, or failed (with the reason).</summary>
public sealed record DocumentWire(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("file_name")] string? FileName,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("size_bytes")] int SizeBytes,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("progress")] DocumentProgress Progress,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("job_id")] Guid? JobId,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt)
{
    public static DocumentWire Of(DocumentView d) => new(d.Id, d.Title, d.FileName, d.Format.ToString().ToLowerInvariant(), d.SizeBytes,
        StatusName(d.Status), new DocumentProgress(d.ChunksDone, d.ChunksTotal), d.Error, d.JobId, d.CreatedAt);

    public static string StatusName(DocumentStatus status) => status.ToString().ToLowerInvariant();
}

public sealed record DocumentProgress([property: JsonPropertyName("done")] int Done, [property: JsonPropertyName("total")] int Total);

public sealed record DocumentListWire([property: JsonPropertyName("data")] IReadOnlyList<DocumentWire> Data);

public sealed record SearchHitWire(
    [property: JsonPropertyName("chunk_id")] Guid ChunkId,
    [property: JsonPropertyName("document_id")] Guid DocumentId,
    [property: JsonPropertyName("document_title")] string DocumentTitle,
    [property: JsonPropertyName("heading")] string? Heading,
    [property: JsonPropertyName("position")] int Position,
    [property: JsonPropertyName("start_offset")] int StartOffset,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("vector_rank")] int? VectorRank,
    [property: JsonPropertyName("text_rank")] int? TextRank)
{
    public static SearchHitWire Of(SearchHit h) =>
        new(h.ChunkId, h.DocumentId, h.DocumentTitle, h.Heading, h.ChunkIndex, h.StartOffset, h.Content, h.Score, h.VectorRank, h.TextRank);
}

public sealed record SearchResultWire(
    [property: JsonPropertyName("data")] IReadOnlyList<SearchHitWire> Data,
    [property: JsonPropertyName("took_ms")] long TookMs,
    [property: JsonPropertyName("warning")] string? Warning);

/// <summary>The ingestion event stream's frames (seed 004): <c>ready</c>, <c>embed.status</c>, <c>embed.done</c>, <c>error</c>, <c>keepalive</c>.</summary>
public static class IngestionFrames
{
    public sealed record Ready([property: JsonPropertyName("document_id")] Guid DocumentId, [property: JsonPropertyName("status")] string Status);

    public sealed record Status([property: JsonPropertyName("done")] int Done, [property: JsonPropertyName("total")] int Total);

    public sealed record Error([property: JsonPropertyName("code")] string Code, [property: JsonPropertyName("message")] string Message);
}
