using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>Reads accounts joined with their profile and role, in one query each.</summary>
internal static class AccountQueries
{
    public static IQueryable<AccountSummary> Summaries(this AppDbContext db) =>
        from user in db.Users
        join profile in db.Profiles on user.Id equals profile.Id
        select new AccountSummary
        {
            Id = user.Id,
            Email = user.Email!,
            DisplayName = profile.DisplayName,
            AvatarUrl = profile.AvatarUrl,
            // One role per account; should several exist, the highest counts.
            Role = (from userRole in db.UserRoles
                    join role in db.Roles on userRole.RoleId equals role.Id
                    where userRole.UserId == user.Id
                    orderby role.Name == AppRoles.Admin ? 0 : role.Name == AppRoles.Author ? 1 : 2
                    select role.Name).FirstOrDefault() ?? AppRoles.User,
            Theme = profile.Theme,
            TimeZone = profile.TimeZone,
            CreatedAt = profile.CreatedAt,
            UpdatedAt = profile.UpdatedAt,
            DisabledAt = user.DisabledAt,
            LockedOutUntil = user.LockoutEnd,
            MonthlyBudgetUsd = user.MonthlyBudgetUsd,
        };
}
