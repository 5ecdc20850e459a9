using System.ComponentModel.DataAnnotations;

namespace MrPrompt.Infrastructure.Chat;

/// <summary>The <c>Chat</c> section: limits on what people send (how much runs at once is the queue's: <c>Jobs</c>).</summary>
public sealed class ConversationOptions
{
    public const string SectionName = "Chat";

    [Range(1, 10_000_000)]
    public int MaxMessageLength { get; set; } = 32_000;

    /// <summary>How often the partial text of an answer is saved while it streams.</summary>
    [Range(100, 60_000)]
    public int PersistIntervalMilliseconds { get; set; } = 1000;

    /// <summary>The context budget of models whose window is not configured (Providers:x:Models:y:ContextWindow).</summary>
    [Range(256, 10_000_000)]
    public int DefaultContextWindowTokens { get; set; } = 32_000;

    /// <summary>Tokens kept free for the answer when a chat sets no max tokens.</summary>
    [Range(16, 1_000_000)]
    public int AnswerReserveTokens { get; set; } = 1024;

    /// <summary>
    /// An attached document with at most this many characters of text goes whole with its message; a longer one goes
    /// into the chat's own knowledge collection and is searched per question.
    /// </summary>
    [Range(0, 1_000_000)]
    public int InlineAttachmentCharacters { get; set; } = 12_000;

    /// <summary>How long a send waits for a longer attached document to be read and embedded before answering.</summary>
    [Range(1, 3_600)]
    public int AttachmentReadySeconds { get; set; } = 120;

    /// <summary>Ask the chat's model for a short title after the first exchange (else the first words stay).</summary>
    public bool GenerateTitles { get; set; } = true;
}
