using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Admin;

/// <summary>
/// Proof that a caller was an enabled Admin when the database was last asked. Only
/// <see cref="AdminGate"/> makes one, so an admin-only query that takes it cannot run without that check.
/// </summary>
public sealed class AdminCaller
{
    internal AdminCaller(Guid userId) => UserId = userId;

    public Guid UserId { get; }

    /// <summary>
    /// Database work across every account (row-level security's system scope) for this admin, named so the
    /// log says which admin did what.
    /// </summary>
    public IDisposable AcrossAccounts(string work) => DataScope.AsSystem($"admin {UserId}: {work}");
}

/// <summary>
/// Asks the database, not the sign-in cookie, whether someone is an enabled Admin: a demotion or a
/// disabled account counts at once, even on a page opened before it.
/// </summary>
public sealed class AdminGate(IDbContextFactory<AppDbContext> contexts)
{
    public async Task<AdminCaller?> VerifyAsync(Guid? userId, CancellationToken cancellationToken = default)
    {
        if (userId is not { } id)
        {
            return null;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var isAdmin = await (
            from user in db.Users
            join userRole in db.UserRoles on user.Id equals userRole.UserId
            join role in db.Roles on userRole.RoleId equals role.Id
            where user.Id == id && user.DisabledAt == null && role.Name == AppRoles.Admin
            select user.Id).AnyAsync(cancellationToken);
        return isAdmin ? new AdminCaller(id) : null;
    }
}
