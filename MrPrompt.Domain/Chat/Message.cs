using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Chat;

/// <summary>
/// One message of a session (<c>messages</c>, with the accounting of the answer; docs/contracts.md, "Tables").
/// <see cref="Sequence"/> orders the messages of every branch (it only grows); <see cref="ParentId"/> makes the branches.
/// </summary>
public sealed class Message : IAuditable
{
    public Guid Id { get; set; }
    public Guid SessionId { get; set; }

    /// <summary>The message this one follows (null for a first message); alternatives share a parent (<see cref="ConversationTree"/>).</summary>
    public Guid? ParentId { get; set; }

    public int Sequence { get; set; }
    public MessageSender Sender { get; set; }
    public string Content { get; set; } = "";
    public MessageStatus Status { get; set; } = MessageStatus.Complete;

    public string? Provider { get; set; }
    public string? Model { get; set; }
    public string? ProviderMessageId { get; set; }
    public int? InputTokens { get; set; }
    public int? OutputTokens { get; set; }
    public bool TokensEstimated { get; set; }
    public int? LatencyMs { get; set; }
    public decimal? CostUsd { get; set; }

    /// <summary>The gateway's error code (snake_case) and its readable message when the answer failed.</summary>
    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    /// <summary>The prompt version a user message was written from, when it came from the prompt library.</summary>
    public Guid? PromptVersionId { get; set; }

    /// <summary>The passages retrieved from the chat's knowledge collections for this answer, as JSON (<see cref="Knowledge.Citation"/>s); null when none were searched.</summary>
    public string? Citations { get; set; }

    /// <summary>How long retrieving <see cref="Citations"/> took.</summary>
    public int? RetrievalMs { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsFinished => Status != MessageStatus.Streaming;
}

public enum MessageSender
{
    User,
    Assistant,
    System,
}

public enum MessageStatus
{
    /// <summary>The answer is being written now.</summary>
    Streaming,
    Complete,

    /// <summary>Stopped by the user; what was written is kept.</summary>
    Cancelled,
    Failed,

    /// <summary>The server went away while the answer was being written; what was written is kept.</summary>
    Incomplete,
}
