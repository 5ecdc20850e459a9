using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Knowledge;

/// <summary>
/// A set of documents people can search and cite in chat (docs/contracts.md, "Knowledge"): private to its owner, or
/// shared with everyone by an Author or Admin. Every chunk is embedded with <see cref="EmbeddingModel"/>; changing it
/// re-embeds the collection.
/// </summary>
public sealed class KnowledgeCollection : IAuditable
{
    public Guid Id { get; set; }
    public Guid OwnerId { get; set; }
    public string Name { get; set; } = "";
    public KnowledgeVisibility Visibility { get; set; } = KnowledgeVisibility.Private;

    /// <summary>"provider/model" of the embedding model, for example <c>local/all-minilm-l6-v2</c>.</summary>
    public string EmbeddingModel { get; set; } = "";

    /// <summary>
    /// Bumped by every change to the collection's chunks, in the same transaction: an instance holding the vectors in
    /// memory compares it to know they are stale, whichever instance made the change.
    /// </summary>
    public long ContentVersion { get; set; }

    /// <summary>
    /// Set when this is a chat's own collection, holding the documents attached there: out of the knowledge page,
    /// searched only by that chat, deleted with it.
    /// </summary>
    public Guid? ChatSessionId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum KnowledgeVisibility
{
    Private,

    /// <summary>Everyone signed in may search and cite it; only its owner changes it.</summary>
    Shared,
}
