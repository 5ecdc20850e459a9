using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>What one user may use: their limits per minute (from their role), their monthly budget, and whether they may call at all.</summary>
public sealed record CallerAllowance(string Role, int RequestsPerMinute, long TokensPerMinute, decimal? MonthlyBudgetUsd, bool Disabled = false);

/// <summary>
/// Reads a user's role, budget and standing for the gateway's checks, kept for a few seconds so a burst
/// of calls costs one query; a change made through the app on any instance (<see cref="Accounts.AccountChanges"/>)
/// drops what was kept at once, so a disabled account's next call is refused.
/// </summary>
public sealed class CallerAllowances
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(10);
    private readonly IDbContextFactory<AppDbContext> _contexts;
    private readonly IMemoryCache _cache;
    private readonly IOptionsMonitor<LimitOptions> _options;
    private long _generation;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, long> _versions = new();

    public CallerAllowances(IDbContextFactory<AppDbContext> contexts, IMemoryCache cache, IOptionsMonitor<LimitOptions> options, Accounts.AccountChanges changes)
    {
        (_contexts, _cache, _options) = (contexts, cache, options);
        // A new version rather than a removal: a read begun before the change cannot put the old allowance back.
        changes.Changed += userId => _versions.AddOrUpdate(userId, 1, static (_, version) => version + 1);
    }

    public async Task<CallerAllowance> ForAsync(Guid userId, CancellationToken cancellationToken) =>
        (await _cache.GetOrCreateAsync(Key(userId), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = Freshness;
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            var roles = await db.UserRoles.Where(ur => ur.UserId == userId)
                .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!)
                .ToListAsync(cancellationToken);
            var account = await db.Users.Where(u => u.Id == userId).Select(u => new { u.MonthlyBudgetUsd, u.DisabledAt }).FirstOrDefaultAsync(cancellationToken);
            var limits = _options.CurrentValue;
            var role = LimitOptions.EffectiveRole(roles);
            return new CallerAllowance(role, limits.RequestsPerMinuteFor(role), limits.TokensPerMinuteFor(role),
                account?.MonthlyBudgetUsd ?? limits.DefaultMonthlyBudgetUsd, Disabled: account is null || account.DisabledAt is not null);
        }))!;

    /// <summary>Reads every account afresh (another instance's change may have been missed).</summary>
    public void ForgetAll() => Interlocked.Increment(ref _generation);

    private (string, Guid, long, long) Key(Guid userId) => ("allowance", userId, _versions.GetValueOrDefault(userId), Interlocked.Read(ref _generation));
}
