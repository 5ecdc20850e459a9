namespace MrPrompt.Domain.Knowledge;

/// <summary>
/// A passage an answer was given to cite, as <c>[Number]</c>: kept with the message (the passage's text included, so
/// the citation still opens after the document changes or goes).
/// </summary>
public sealed record Citation(int Number, Guid ChunkId, Guid DocumentId, Guid CollectionId, string DocumentTitle, string? Heading, int ChunkIndex, string Content, double Score);
