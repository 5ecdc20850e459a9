using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Chat;

/// <summary>
/// A conversation of one user (<c>chat_sessions</c>; docs/contracts.md, "Tables") with its settings: which model answers,
/// the system prompt and the sampling options. A compare run keeps one session per column.
/// </summary>
public sealed class ChatSession : IAuditable
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public string Title { get; set; } = ChatRules.NewChatTitle;

    /// <summary>True while the title is the first words of the first message, waiting for a better one.</summary>
    public bool TitleIsProvisional { get; set; } = true;

    /// <summary>The model that answers, as <c>provider/model</c>.</summary>
    public string Model { get; set; } = "";

    public string? SystemPrompt { get; set; }
    public float? Temperature { get; set; }
    public int? MaxOutputTokens { get; set; }

    /// <summary>Set when this session is a column of a compare run; such sessions stay out of the sidebar.</summary>
    public Guid? CompareRunId { get; set; }

    /// <summary>Knowledge collections each question searches; the answer is asked to cite what they return.</summary>
    public Guid[] KnowledgeCollectionIds { get; set; } = [];

    /// <summary>The last message of the branch being shown (<see cref="ConversationTree"/>); null: the newest message's branch.</summary>
    public Guid? CurrentMessageId { get; set; }

    /// <summary>When the user pinned it to the top of the chat list; null when not pinned.</summary>
    public DateTimeOffset? PinnedAt { get; set; }

    /// <summary>When the user archived it: out of the chat list (shown under "Archived"), still opened by its address.</summary>
    public DateTimeOffset? ArchivedAt { get; set; }

    /// <summary>When a message was last sent: the sidebar's order.</summary>
    public DateTimeOffset LastActivityAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
