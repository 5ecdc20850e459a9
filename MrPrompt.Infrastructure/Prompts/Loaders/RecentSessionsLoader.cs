using Microsoft.EntityFrameworkCore;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Prompts.Loaders;

/// <summary><c>recent-sessions</c>: the titles of the caller's latest chats, as <c>{{recentSessions.titles}}</c> and a bulleted <c>{{recentSessions.list}}</c>.</summary>
public sealed class RecentSessionsLoader(IDbContextFactory<AppDbContext> contexts) : IDataLoader
{
    public const int Count = 5;

    public string Key => "recent-sessions";
    public string Variable => "recentSessions";
    public string Description => $"The titles of your last {Count} chats.";

    public async Task<IReadOnlyDictionary<string, object?>> LoadAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var titles = await db.ChatSessions.AsNoTracking()
            // Compare columns are not in the chat list, so they are not "recent chats" either.
            .Where(s => s.UserId == userId && s.CompareRunId == null)
            .OrderByDescending(s => s.LastActivityAt)
            .Take(Count)
            .Select(s => s.Title)
            .ToListAsync(cancellationToken);
        return new Dictionary<string, object?>
        {
            ["titles"] = titles,
            ["list"] = string.Join('\n', titles.Select(t => "- " + t)),
            ["count"] = titles.Count,
        };
    }
}
