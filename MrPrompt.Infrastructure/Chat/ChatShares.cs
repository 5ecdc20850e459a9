using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Chat;

/// <summary>A share link just made: its token, shown this once, and when it stops working.</summary>
public sealed record CreatedShare(Guid Id, string Token, DateTimeOffset? ExpiresAt);

/// <summary>A share link of a chat as its owner sees it in the list.</summary>
public sealed record ShareView(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, int Messages, bool IsOpen);

/// <summary>
/// Share links of chats: made and revoked by the chat's owner, read by anyone holding the token. The snapshot is
/// taken when the link is made, so what is written later is not published with it.
/// </summary>
public sealed class ChatShares(IDbContextFactory<AppDbContext> contexts, ChatSessionStore sessions, TimeProvider clock)
{
    public async Task<ChatResult<CreatedShare>> CreateAsync(Guid userId, Guid sessionId, ShareLifetime lifetime, CancellationToken cancellationToken = default)
    {
        if (await sessions.GetAsync(userId, sessionId, cancellationToken) is not { } chat)
        {
            return ChatProblem.NotFound();
        }
        var now = clock.GetUtcNow();
        var snapshot = SharedChat.Of(chat.Session, chat.Messages, now);
        if (snapshot.Messages.Count == 0)
        {
            return ChatProblem.Invalid("There is nothing to share yet: send a message first.");
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var open = await db.ChatShares.CountAsync(s => s.SessionId == sessionId && s.RevokedAt == null && (s.ExpiresAt == null || s.ExpiresAt > now), cancellationToken);
        if (open >= ShareRules.MaxOpenPerChat)
        {
            return ChatProblem.Invalid($"This chat already has {ShareRules.MaxOpenPerChat} open share links. Revoke one first.");
        }
        // Made and stored as API keys are: 32 random bytes, base64url, kept only as a hash.
        var token = ApiKeySecret.NewSecret("");
        var share = new ChatShare
        {
            Id = Guid.CreateVersion7(now),
            SessionId = sessionId,
            UserId = userId,
            TokenHash = ApiKeySecret.Hash(token),
            Snapshot = snapshot.ToJson(),
            ExpiresAt = ShareRules.ExpiryOf(lifetime, now),
        };
        db.ChatShares.Add(share);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return ChatProblem.NotFound(); // the chat was deleted meanwhile
        }
        return new CreatedShare(share.Id, token, share.ExpiresAt);
    }

    public async Task<IReadOnlyList<ShareView>> ListAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var shares = await db.ChatShares.AsNoTracking().Where(s => s.SessionId == sessionId && s.UserId == userId)
            .OrderByDescending(s => s.CreatedAt).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return shares.Select(s => new ShareView(s.Id, s.CreatedAt, s.ExpiresAt, s.RevokedAt, SharedChat.FromJson(s.Snapshot).Messages.Count, s.IsOpenAt(now))).ToList();
    }

    /// <summary>Stops the link working at once; false when the caller has no such link.</summary>
    public async Task<bool> RevokeAsync(Guid userId, Guid shareId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ChatShares.Where(s => s.Id == shareId && s.UserId == userId && s.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.RevokedAt, clock.GetUtcNow()), cancellationToken) > 0;
    }

    /// <summary>The snapshot behind <paramref name="token"/>, for anyone, signed in or not; null when unknown, revoked or expired.</summary>
    public async Task<SharedChat?> OpenAsync(string token, CancellationToken cancellationToken = default)
    {
        if (token.Length is < 20 or > 100)
        {
            return null;
        }
        var hash = ApiKeySecret.Hash(token);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The token is the permission: the one row whose hash it matches is read across accounts.
        using var byToken = DataScope.AsSystem("a chat opened by its share link");
        // A disabled account's links stop with it, as its sign-ins and keys do.
        var share = await db.ChatShares.AsNoTracking()
            .Where(s => s.TokenHash == hash && db.Users.Any(u => u.Id == s.UserId && u.DisabledAt == null))
            .FirstOrDefaultAsync(cancellationToken);
        return share is not null && share.IsOpenAt(clock.GetUtcNow()) ? SharedChat.FromJson(share.Snapshot) : null;
    }
}
