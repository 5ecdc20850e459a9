using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>What one user may use: their limits per minute (from their role) and their monthly budget.</summary>
public sealed record CallerAllowance(string Role, int RequestsPerMinute, long TokensPerMinute, decimal? MonthlyBudgetUsd);

/// <summary>
/// Reads a user's role and budget for the gateway's checks, kept for a few seconds so a burst of calls
/// costs one query; a role or budget change takes effect within that time.
/// </summary>
public sealed class CallerAllowances(IDbContextFactory<AppDbContext> contexts, IMemoryCache cache, IOptionsMonitor<LimitOptions> options)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(10);

    public async Task<CallerAllowance> ForAsync(Guid userId, CancellationToken cancellationToken) =>
        (await cache.GetOrCreateAsync(("allowance", userId), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = Freshness;
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var roles = await db.UserRoles.Where(ur => ur.UserId == userId)
                .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!)
                .ToListAsync(cancellationToken);
            var budget = await db.Users.Where(u => u.Id == userId).Select(u => u.MonthlyBudgetUsd).FirstOrDefaultAsync(cancellationToken);
            var limits = options.CurrentValue;
            var role = LimitOptions.EffectiveRole(roles);
            return new CallerAllowance(role, limits.RequestsPerMinuteFor(role), limits.TokensPerMinuteFor(role), budget ?? limits.DefaultMonthlyBudgetUsd);
        }))!;
}
