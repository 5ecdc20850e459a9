using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Security;

/// <summary>
/// What a browser sign-in says of its account besides the id, email and role: the display name and
/// avatar the top bar shows, read from the profile whenever the sign-in is made or refreshed.
/// </summary>
public sealed class AccountClaims(
    UserManager<ApplicationUser> users,
    RoleManager<IdentityRole<Guid>> roles,
    IOptions<IdentityOptions> options,
    IDbContextFactory<AppDbContext> contexts)
    : UserClaimsPrincipalFactory<ApplicationUser, IdentityRole<Guid>>(users, roles, options)
{
    public const string DisplayNameType = "mrp:display_name";
    public const string AvatarUrlType = "mrp:avatar_url";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(ApplicationUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        // Also before anyone is signed in (the sign-in itself, a cookie being checked): the account is known here.
        using var scope = DataScope.ForUser(user.Id);
        await using var db = await contexts.CreateDbContextAsync();
        var profile = await db.Profiles.AsNoTracking().Where(p => p.Id == user.Id).Select(p => new { p.DisplayName, p.AvatarUrl }).FirstOrDefaultAsync();
        if (profile is not null)
        {
            identity.AddClaim(new Claim(DisplayNameType, profile.DisplayName));
            if (!string.IsNullOrEmpty(profile.AvatarUrl))
            {
                identity.AddClaim(new Claim(AvatarUrlType, profile.AvatarUrl));
            }
        }
        return identity;
    }
}
