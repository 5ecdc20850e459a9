using Microsoft.EntityFrameworkCore;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Prompts.Loaders;

/// <summary><c>user-profile</c>: who is asking, as <c>{{user.displayName}}</c>, <c>{{user.email}}</c> and <c>{{user.role}}</c>.</summary>
public sealed class UserProfileLoader(IDbContextFactory<AppDbContext> contexts) : IDataLoader
{
    public string Key => "user-profile";
    public string Variable => "user";
    public string Description => "Your display name, email and role.";

    public async Task<IReadOnlyDictionary<string, object?>> LoadAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var account = await db.Summaries().AsNoTracking().FirstOrDefaultAsync(a => a.Id == userId, cancellationToken);
        return new Dictionary<string, object?>
        {
            ["displayName"] = account?.DisplayName,
            ["email"] = account?.Email,
            ["role"] = account?.Role,
        };
    }
}
