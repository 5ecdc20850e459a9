using System.Text.Json;
using System.Text.Json.Serialization;
using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Chat;

/// <summary>
/// A read-only link to a snapshot of a chat (<c>chat_shares</c>; docs/contracts.md, "Share links"): anyone with the
/// link reads the conversation as it was when shared, without an account, until it expires or its owner revokes it.
/// Only a hash of the link's token is stored.
/// </summary>
public sealed class ChatShare : IAuditable
{
    public Guid Id { get; set; }
    public Guid SessionId { get; set; }
    public Guid UserId { get; set; }

    /// <summary>SHA-256 of the token in the link, hex; the token itself is shown once, when the link is made.</summary>
    public string TokenHash { get; set; } = "";

    /// <summary>The conversation as shared (<see cref="SharedChat"/>, JSON).</summary>
    public string Snapshot { get; set; } = "";

    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsOpenAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>What a share link shows: the title, the model, and the messages of the branch shown when it was made.</summary>
public sealed record SharedChat(string Title, string Model, DateTimeOffset SharedAt, IReadOnlyList<SharedMessage> Messages)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>
    /// The finished messages of <paramref name="path"/>; never the system prompt, the knowledge passages cited or anything
    /// attached, which can hold what the owner did not mean to publish.
    /// </summary>
    public static SharedChat Of(ChatSession session, IEnumerable<Message> path, DateTimeOffset now) => new(
        session.Title, session.Model, now,
        path.Where(m => m.IsFinished && m.Content.Length > 0)
            .Select(m => new SharedMessage(m.Sender, m.Content, m.Sender == MessageSender.Assistant ? $"{m.Provider}/{m.Model}" : null, m.CreatedAt))
            .ToList());

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static SharedChat FromJson(string json) => JsonSerializer.Deserialize<SharedChat>(json, Json)
        ?? throw new JsonException("A share's snapshot is empty.");
}

public sealed record SharedMessage(MessageSender Sender, string Content, string? Model, DateTimeOffset CreatedAt);

/// <summary>How long a new share link works.</summary>
public enum ShareLifetime
{
    Forever,
    OneDay,
    SevenDays,
    ThirtyDays,
}

public static class ShareRules
{
    /// <summary>Open links one chat may have at once: enough for any real use, a bound on a runaway script.</summary>
    public const int MaxOpenPerChat = 20;

    public static DateTimeOffset? ExpiryOf(ShareLifetime lifetime, DateTimeOffset now) => lifetime switch
    {
        ShareLifetime.OneDay => now.AddDays(1),
        ShareLifetime.SevenDays => now.AddDays(7),
        ShareLifetime.ThirtyDays => now.AddDays(30),
        _ => null,
    };
}
