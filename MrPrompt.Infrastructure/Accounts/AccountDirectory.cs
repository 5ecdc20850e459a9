using MrPrompt.Domain.Usage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>Every account, for admins: each method takes the <see cref="AdminCaller"/> that proves the caller is one.</summary>
public sealed class AccountDirectory(IDbContextFactory<AppDbContext> contexts, ApiKeyService keys, AuditLog audit, AccountChanges changes, TimeProvider clock)
{
    /// <summary>
    /// Gives <paramref name="userId"/> the one role <paramref name="role"/>, in effect on the account's next
    /// request and on its open pages at once, without signing it out. The last enabled Admin cannot be
    /// demoted, so the console never loses its last way in.
    /// </summary>
    public async Task<string?> ChangeRoleAsync(AdminCaller admin, Guid userId, string role, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("ChangeRole");
        var newRole = AppRoles.All.FirstOrDefault(r => r.Equals(role, StringComparison.OrdinalIgnoreCase));
        if (newRole is null)
        {
            return $"Unknown role '{role}'. Use one of: {string.Join(", ", AppRoles.All)}.";
        }
        await using (var read = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (await read.Summaries().Where(a => a.Id == userId).Select(a => a.Role).FirstOrDefaultAsync(cancellationToken) == newRole)
            {
                return null; // already so: nothing to change, nothing to record
            }
        }
        return await WithAdminsLockedAsync(userId, async (db, current) =>
        {
            if (current.Role == AppRoles.Admin && newRole != AppRoles.Admin && await OtherEnabledAdminsAsync(db, userId, cancellationToken) == 0)
            {
                return "This is the last Admin: make someone else Admin first.";
            }
            var roleId = await db.Roles.Where(r => r.NormalizedName == newRole.ToUpperInvariant()).Select(r => r.Id).SingleAsync(cancellationToken);
            await db.UserRoles.Where(ur => ur.UserId == userId).ExecuteDeleteAsync(cancellationToken);
            db.UserRoles.Add(new IdentityUserRole<Guid> { UserId = userId, RoleId = roleId });
            await db.SaveChangesAsync(cancellationToken);
            return null;
        }, endSessions: false, (current) => audit.RecordAsync(AuditActions.RoleChanged, admin.UserId, "", userId, $"{current.Email}: {current.Role} → {newRole}"), cancellationToken);
    }

    /// <summary>
    /// Disables or enables an account. A disabled account cannot sign in, and its API keys and browser
    /// sessions stop on their next request (a new security stamp ends the sessions). The last enabled
    /// Admin cannot be disabled.
    /// </summary>
    public async Task<string?> SetDisabledAsync(AdminCaller admin, Guid userId, bool disabled, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("SetDisabled");
        return await WithAdminsLockedAsync(userId, async (db, current) =>
        {
            if (disabled && current.Role == AppRoles.Admin && await OtherEnabledAdminsAsync(db, userId, cancellationToken) == 0)
            {
                return "This is the last Admin: it cannot be disabled.";
            }
            DateTimeOffset? disabledAt = disabled ? clock.GetUtcNow() : null;
            await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(set => set.SetProperty(u => u.DisabledAt, disabledAt), cancellationToken);
            return null;
        }, endSessions: disabled, current => audit.RecordAsync(disabled ? AuditActions.AccountDisabled : AuditActions.AccountEnabled, admin.UserId, "", userId,
            $"{current.Email} {(disabled ? "disabled" : "enabled")}"), cancellationToken);
    }

    /// <summary>
    /// Caps what the account may spend a month (<paramref name="usd"/>; null: the configured default), effective at its
    /// next call here and within a minute on other instances; audited.
    /// </summary>
    public async Task<string?> SetBudgetAsync(AdminCaller admin, Guid userId, decimal? usd, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("SetBudget");
        if (Budgets.Validate(usd) is { } invalid)
        {
            return invalid;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var current = await db.Summaries().FirstOrDefaultAsync(a => a.Id == userId, cancellationToken);
        if (current is null)
        {
            return "This account no longer exists.";
        }
        if (current.MonthlyBudgetUsd == usd)
        {
            return null;
        }
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(set => set.SetProperty(u => u.MonthlyBudgetUsd, usd), cancellationToken);
        changes.Record(userId);
        await audit.RecordAsync(AuditActions.BudgetChanged, admin.UserId, "", userId,
            $"{current.Email}: monthly budget {Budgets.Describe(current.MonthlyBudgetUsd)} → {Budgets.Describe(usd)}");
        return null;
    }

    /// <summary>Requests and spend of each API key since the start of this month (UTC), from the usage log.</summary>
    public async Task<IReadOnlyDictionary<Guid, MonthToDate>> MonthToDateByKeyAsync(AdminCaller admin, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("MonthToDateByKey");
        var monthStart = MonthStart();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.UsageRecords.Where(u => u.ExecutedAt >= monthStart && u.ApiKeyId != null)
            .GroupBy(u => u.ApiKeyId!.Value)
            .Select(g => new { g.Key, Requests = g.Count(), Cost = g.Sum(u => u.CostUsd ?? 0) })
            .ToDictionaryAsync(g => g.Key, g => new MonthToDate(g.Requests, g.Cost), cancellationToken);
    }

    private DateTimeOffset MonthStart()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>Requests and spend of every account since the start of this month (UTC), from the usage log.</summary>
    public async Task<IReadOnlyDictionary<Guid, MonthToDate>> MonthToDateAsync(AdminCaller admin, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("MonthToDate");
        ArgumentNullException.ThrowIfNull(admin);
        var monthStart = MonthStart();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.UsageRecords.Where(u => u.ExecutedAt >= monthStart)
            .GroupBy(u => u.UserId)
            .Select(g => new { g.Key, Requests = g.Count(), Cost = g.Sum(u => u.CostUsd ?? 0) })
            .ToDictionaryAsync(g => g.Key, g => new MonthToDate(g.Requests, g.Cost), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="change"/> on one account while no other role or enablement change runs
    /// (two admins demoting each other at once must not leave none), then makes every session see it:
    /// trusted API-key sign-ins are dropped, browser sessions refresh on their next request, or end
    /// there when <paramref name="endSessions"/> (a new security stamp).
    /// </summary>
    private async Task<string?> WithAdminsLockedAsync(
        Guid userId, Func<AppDbContext, AccountSummary, Task<string?>> change, bool endSessions, Func<AccountSummary, Task> audited, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7001)", cancellationToken);
        var current = await db.Summaries().FirstOrDefaultAsync(a => a.Id == userId, cancellationToken);
        if (current is null)
        {
            return "This account no longer exists.";
        }
        if (await change(db, current) is { } refused)
        {
            return refused;
        }
        if (endSessions)
        {
            await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(set => set.SetProperty(u => u.SecurityStamp, Guid.NewGuid().ToString("N")), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        keys.ForgetSignIns();
        changes.Record(userId);
        await audited(current);
        return null;
    }

    private static Task<int> OtherEnabledAdminsAsync(AppDbContext db, Guid userId, CancellationToken cancellationToken) =>
        (from userRole in db.UserRoles
         join role in db.Roles on userRole.RoleId equals role.Id
         join user in db.Users on userRole.UserId equals user.Id
         where role.Name == AppRoles.Admin && user.Id != userId && user.DisabledAt == null
         select user.Id).Distinct().CountAsync(cancellationToken);

    public async Task<IReadOnlyList<AccountSummary>> ListAsync(AdminCaller admin, string? search, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("List");
        ArgumentNullException.ThrowIfNull(admin);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Summaries().AsNoTracking();
        if (LikePatterns.Containing(search) is { } pattern)
        {
            query = query.Where(a => EF.Functions.ILike(a.Email, pattern, LikePatterns.Escape) || EF.Functions.ILike(a.DisplayName, pattern, LikePatterns.Escape));
        }
        return await query.OrderBy(a => a.CreatedAt).Take(500).ToListAsync(cancellationToken);
    }
}

/// <summary>One account's calls and their cost since the start of the month.</summary>
public sealed record MonthToDate(int Requests, decimal CostUsd);
