using Microsoft.EntityFrameworkCore;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>Every account, for admins. Callers check the Admin role before they ask.</summary>
public sealed class AccountDirectory(IDbContextFactory<AppDbContext> contexts, ApiKeyService keys, TimeProvider clock)
{
    /// <summary>
    /// Disables or enables an account. A disabled account's API keys stop on their next request, and a
    /// new security stamp ends its browser sessions at their next check.
    /// </summary>
    public async Task<bool> SetDisabledAsync(Guid userId, bool disabled, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        DateTimeOffset? disabledAt = disabled ? clock.GetUtcNow() : null;
        var changed = await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(set => set
            .SetProperty(u => u.DisabledAt, disabledAt)
            .SetProperty(u => u.SecurityStamp, Guid.NewGuid().ToString("N")), cancellationToken);
        keys.ForgetSignIns();
        return changed > 0;
    }

    public async Task<IReadOnlyList<AccountSummary>> ListAsync(string? search, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Summaries().AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = $"%{search.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal)}%";
            query = query.Where(a => EF.Functions.ILike(a.Email, pattern, "\\") || EF.Functions.ILike(a.DisplayName, pattern, "\\"));
        }
        return await query.OrderBy(a => a.CreatedAt).Take(500).ToListAsync(cancellationToken);
    }
}
