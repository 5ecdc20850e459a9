using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.Configurations;
using NpgsqlTypes;

namespace MrPrompt.Infrastructure.Chat;

/// <summary>A line of the sidebar, with its group's heading when it is the group's first line.</summary>
public sealed record SessionSummary(Guid Id, string Title, DateTimeOffset LastActivityAt, bool Pinned = false, string Group = "", bool StartsGroup = false);

public sealed record SessionPage(IReadOnlyList<SessionSummary> Items, int Total);

/// <summary>
/// A session with the messages of the branch it shows, in order, and where each stands among its
/// alternatives (only those that have some).
/// </summary>
public sealed record ChatView(
    ChatSession Session, IReadOnlyList<Message> Messages, IReadOnlyDictionary<Guid, PromptOrigin> Prompts,
    IReadOnlyDictionary<Guid, BranchPosition> Branches, IReadOnlyDictionary<Guid, IReadOnlyList<AttachmentView>> Attachments)
{
    public IReadOnlyList<AttachmentView> AttachmentsOf(Message message) => Attachments.GetValueOrDefault(message.Id) ?? [];

    public BranchPosition? BranchOf(Message message) => Branches.GetValueOrDefault(message.Id);

    /// <summary>The library prompt a message was written from, if any.</summary>
    public PromptOrigin? PromptOf(Message message) =>
        message.PromptVersionId is { } id ? Prompts.GetValueOrDefault(id) : null;
}

/// <summary>Which prompt version a message came from, for the label shown on it.</summary>
public sealed record PromptOrigin(Guid PromptId, string Key, int Version);

/// <summary>
/// Reading and managing a user's chats. Every query is filtered by the owner: another user's id
/// finds nothing, exactly like an id that never existed.
/// </summary>
public sealed class ChatSessionStore(IDbContextFactory<AppDbContext> contexts, GenerationRunner runner, Knowledge.KnowledgeService knowledge, TimeProvider clock)
{
    /// <summary>
    /// The user's chats, pinned ones first, then newest activity first, optionally only those whose title or messages
    /// match <paramref name="search"/>; the archived ones instead with <paramref name="archived"/>. Each line knows its
    /// heading (<see cref="ChatListGroups"/>, in the user's time zone) and whether it starts one.
    /// </summary>
    public async Task<SessionPage> ListAsync(Guid userId, string? search, int skip, int take, CancellationToken cancellationToken = default, bool archived = false)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var sessions = db.ChatSessions.Where(s => s.UserId == userId && s.CompareRunId == null && (s.ArchivedAt != null) == archived);
        if (FullTextQuery.From(search) is { } query)
        {
            sessions = sessions.Where(s =>
                EF.Property<NpgsqlTsVector>(s, FullTextSearch.Column).Matches(EF.Functions.ToTsQuery("simple", query))
                || db.Messages.Any(m => m.SessionId == s.Id
                    && EF.Property<NpgsqlTsVector>(m, FullTextSearch.Column).Matches(EF.Functions.ToTsQuery("simple", query))));
        }
        var total = await sessions.CountAsync(cancellationToken);
        // One line before the page, to know whether the page's first line starts a new heading.
        var from = Math.Max(0, skip - 1);
        var rows = await sessions
            .OrderByDescending(s => s.PinnedAt != null).ThenByDescending(s => s.LastActivityAt).ThenByDescending(s => s.Id)
            .Skip(from).Take(take + (skip - from))
            .Select(s => new { s.Id, s.Title, s.LastActivityAt, Pinned = s.PinnedAt != null })
            .ToListAsync(cancellationToken);
        var zone = await TimeZoneOfAsync(db, userId, cancellationToken);
        var now = clock.GetUtcNow();
        var items = new List<SessionSummary>(rows.Count);
        string? previous = null;
        for (var i = 0; i < rows.Count; i++)
        {
            var group = ChatListGroups.Of(rows[i].Pinned && !archived, rows[i].LastActivityAt, now, zone);
            if (from + i >= skip)
            {
                items.Add(new SessionSummary(rows[i].Id, rows[i].Title, rows[i].LastActivityAt, rows[i].Pinned, group, group != previous));
            }
            previous = group;
        }
        return new SessionPage(items, total);
    }

    private static async Task<TimeZoneInfo> TimeZoneOfAsync(AppDbContext db, Guid userId, CancellationToken cancellationToken)
    {
        var id = await db.Profiles.Where(p => p.Id == userId).Select(p => p.TimeZone).FirstOrDefaultAsync(cancellationToken);
        return id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
    }

    /// <summary>Pins the chat to the top of the list, or unpins it.</summary>
    public Task<ChatProblem?> SetPinnedAsync(Guid userId, Guid sessionId, bool pinned, CancellationToken cancellationToken = default) =>
        UpdateAsync(userId, sessionId, s => s.PinnedAt = pinned ? s.PinnedAt ?? clock.GetUtcNow() : null, cancellationToken);

    /// <summary>Moves the chat out of the list into "Archived" (unpinning it), or back.</summary>
    public Task<ChatProblem?> SetArchivedAsync(Guid userId, Guid sessionId, bool archived, CancellationToken cancellationToken = default) =>
        UpdateAsync(userId, sessionId, s =>
        {
            s.ArchivedAt = archived ? s.ArchivedAt ?? clock.GetUtcNow() : null;
            s.PinnedAt = archived ? null : s.PinnedAt;
        }, cancellationToken);

    public async Task<ChatView?> GetAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var session = await db.ChatSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId && s.UserId == userId, cancellationToken);
        if (session is null)
        {
            return null;
        }
        var tree = new ConversationTree(await db.Messages.AsNoTracking().Where(m => m.SessionId == sessionId).ToListAsync(cancellationToken));
        var messages = tree.PathTo(session.CurrentMessageId);
        var branches = messages.Select(m => (m.Id, Position: tree.PositionOf(m))).Where(b => b.Position.HasAlternatives)
            .ToDictionary(b => b.Id, b => b.Position);
        var versionIds = messages.Where(m => m.PromptVersionId is not null).Select(m => m.PromptVersionId!.Value).Distinct().ToList();
        var prompts = versionIds.Count == 0 ? new Dictionary<Guid, PromptOrigin>() : await (
            from v in db.PromptVersions
            join p in db.Prompts on v.PromptId equals p.Id
            where versionIds.Contains(v.Id)
            select new { v.Id, Origin = new PromptOrigin(p.Id, p.Key, v.Number) })
            .ToDictionaryAsync(x => x.Id, x => x.Origin, cancellationToken);
        return new ChatView(session, messages, prompts, branches, await ChatAttachments.ViewsAsync(db, sessionId, cancellationToken));
    }

    /// <summary>
    /// Shows the branch through <paramref name="messageId"/> (one of the alternatives "‹ 2 / 3 ›" offers), down its newest
    /// replies; what is sent next continues it. Not while an answer is being written in the chat.
    /// </summary>
    public async Task<ChatProblem?> SwitchBranchAsync(Guid userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var session = await ChatService.FindSessionAsync(db, userId, sessionId, cancellationToken);
        if (session is null)
        {
            return ChatProblem.NotFound();
        }
        var messages = await db.Messages.AsNoTracking().Where(m => m.SessionId == sessionId).ToListAsync(cancellationToken);
        if (messages.Any(m => m.Status == MessageStatus.Streaming))
        {
            return ChatProblem.Busy();
        }
        var tree = new ConversationTree(messages);
        if (tree.Find(messageId) is not { } chosen)
        {
            return ChatProblem.NotFound();
        }
        session.CurrentMessageId = tree.NewestLeafUnder(chosen).Id;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return ChatProblem.NotFound();
        }
        return null;
    }

    /// <summary>One message of the user's, as saved now (for a page that watched it finish).</summary>
    public async Task<Message?> GetMessageAsync(Guid userId, Guid messageId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Messages.AsNoTracking()
            .Where(m => m.Id == messageId && db.ChatSessions.Any(s => s.Id == m.SessionId && s.UserId == userId))
            .FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<ChatProblem?> RenameAsync(Guid userId, Guid sessionId, string title, CancellationToken cancellationToken = default)
    {
        if (ChatRules.ValidateTitle(title) is { } invalid)
        {
            return ChatProblem.Invalid(invalid);
        }
        return await UpdateAsync(userId, sessionId, s =>
        {
            s.Title = title.Trim();
            s.TitleIsProvisional = false;
        }, cancellationToken);
    }

    public async Task<ChatProblem?> UpdateSettingsAsync(Guid userId, Guid sessionId, SessionSettings settings, CancellationToken cancellationToken = default)
    {
        if (settings.Validate() is { } invalid)
        {
            return ChatProblem.Invalid(invalid);
        }
        return await UpdateAsync(userId, sessionId, settings.ApplyTo, cancellationToken);
    }

    /// <summary>
    /// Deletes the chat with its messages, attachments, share links and its own knowledge collection; an answer still being
    /// written there is stopped first.
    /// </summary>
    public async Task<bool> DeleteAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        await runner.StopSessionAsync(userId, sessionId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deleted = await db.ChatSessions.Where(s => s.Id == sessionId && s.UserId == userId).ExecuteDeleteAsync(cancellationToken) > 0;
        if (deleted)
        {
            await knowledge.DeleteChatCollectionAsync(userId, sessionId, cancellationToken);
        }
        return deleted;
    }

    /// <summary>
    /// Makes a normal chat from a compare column: a copy with the column's model and messages, so the
    /// compare run stays as it was.
    /// </summary>
    public async Task<ChatResult<Guid>> ContinueFromAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        var source = await GetAsync(userId, sessionId, cancellationToken);
        if (source is null)
        {
            return ChatProblem.NotFound();
        }
        if (source.Messages.Any(m => m.Status == MessageStatus.Streaming))
        {
            return ChatProblem.Busy();
        }
        var now = clock.GetUtcNow();
        var copy = new ChatSession
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            Title = source.Session.Title,
            TitleIsProvisional = source.Session.TitleIsProvisional,
            LastActivityAt = now,
        };
        SessionSettings.Of(source.Session).ApplyTo(copy);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ChatSessions.Add(copy);
        // The branch shown, as a chat of its own: each copy follows the copy before it.
        Message? previous = null;
        foreach (var message in source.Messages)
        {
            previous = CopyOf(message, copy.Id, previous?.Id, now);
            db.Messages.Add(previous);
        }
        copy.CurrentMessageId = previous?.Id;
        await db.SaveChangesAsync(cancellationToken);
        return copy.Id;
    }

    private async Task<ChatProblem?> UpdateAsync(Guid userId, Guid sessionId, Action<ChatSession> change, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var session = await ChatService.FindSessionAsync(db, userId, sessionId, cancellationToken);
        if (session is null)
        {
            return ChatProblem.NotFound();
        }
        change(session);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return ChatProblem.NotFound(); // deleted in another tab meanwhile
        }
        return null;
    }

    private static Message CopyOf(Message source, Guid sessionId, Guid? parentId, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        SessionId = sessionId,
        ParentId = parentId,
        Sequence = source.Sequence,
        Sender = source.Sender,
        Content = source.Content,
        Status = source.Status,
        Provider = source.Provider,
        Model = source.Model,
        ProviderMessageId = source.ProviderMessageId,
        InputTokens = source.InputTokens,
        OutputTokens = source.OutputTokens,
        TokensEstimated = source.TokensEstimated,
        LatencyMs = source.LatencyMs,
        CostUsd = source.CostUsd,
        ErrorCode = source.ErrorCode,
        ErrorMessage = source.ErrorMessage,
    };
}
