using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Chat;

/// <summary>
/// One prompt sent to several models at once (docs/contracts.md, "Compare runs"). Each column is a <see cref="ChatSession"/>
/// with <see cref="ChatSession.CompareRunId"/> set, so columns stream, persist and recover like chats.
/// </summary>
public sealed class CompareRun : IAuditable
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public string Prompt { get; set; } = "";

    /// <summary>The models in column order, as <c>provider/model</c>.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>When a run asked through <c>/api/compare</c> is deleted with its columns; runs made on the page stay.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
