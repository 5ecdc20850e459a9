using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Audit;

/// <summary>Which audit events to show: an action, words in the actor's email or the detail, a time range.</summary>
public sealed record AuditQuery(string? Action = null, string? Search = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>
/// The audit log: security-relevant actions, written as they happen and listed for admins (callers
/// pass an <see cref="Admin.AdminCaller"/>). Writing never fails the action it records; a lost entry is logged instead.
/// </summary>
public sealed partial class AuditLog(IDbContextFactory<AppDbContext> contexts, TimeProvider clock, ILogger<AuditLog> logger)
{
    public const int MaxListed = 500;

    public async Task RecordAsync(string action, Guid? actorId, string actorEmail, Guid? targetId, string detail, string? source = null)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync();
            if (actorId is { } id && actorEmail.Length == 0)
            {
                actorEmail = await db.Users.Where(u => u.Id == id).Select(u => u.Email).FirstOrDefaultAsync() ?? "";
            }
            db.AuditEvents.Add(new AuditEvent
            {
                Id = Guid.CreateVersion7(clock.GetUtcNow()),
                At = clock.GetUtcNow(),
                ActorId = actorId,
                ActorEmail = Truncate(actorEmail, 256),
                Action = action,
                TargetId = targetId,
                Detail = Truncate(detail, 500),
                Source = source is null ? null : Truncate(source, 64),
            });
            await db.SaveChangesAsync();
        }
        catch (Exception ex) when (ex is DbUpdateException or Npgsql.NpgsqlException or InvalidOperationException)
        {
            LogLost(logger, action, actorId, ex.GetType().Name);
        }
    }

    public async Task<IReadOnlyList<AuditEvent>> ListAsync(Admin.AdminCaller admin, AuditQuery query, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("List");
        ArgumentNullException.ThrowIfNull(admin);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var events = db.AuditEvents.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            events = events.Where(e => e.Action == query.Action);
        }
        if (LikePatterns.Containing(query.Search) is { } pattern)
        {
            events = events.Where(e => EF.Functions.ILike(e.ActorEmail, pattern, LikePatterns.Escape) || EF.Functions.ILike(e.Detail, pattern, LikePatterns.Escape));
        }
        if (query.From is { } from)
        {
            events = events.Where(e => e.At >= from);
        }
        if (query.To is { } to)
        {
            events = events.Where(e => e.At < to);
        }
        return await events.OrderByDescending(e => e.At).Take(MaxListed).ToListAsync(cancellationToken);
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    [LoggerMessage(Level = LogLevel.Error, Message = "An audit entry was lost: {Action} by {ActorId} ({Reason})")]
    private static partial void LogLost(ILogger logger, string action, Guid? actorId, string reason);
}
