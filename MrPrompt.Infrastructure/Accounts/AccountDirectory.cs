using Microsoft.EntityFrameworkCore;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>Every account, for admins. Callers check the Admin role before they ask.</summary>
public sealed class AccountDirectory(IDbContextFactory<AppDbContext> contexts)
{
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
