using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Profiles;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>Makes the database hold the three roles and, when configured, the scripted admin account.</summary>
public sealed partial class AdminAccountSeeder(
    AppDbContext db,
    UserManager<ApplicationUser> users,
    RoleManager<IdentityRole<Guid>> roles,
    IOptions<AdminOptions> adminOptions,
    ILogger<AdminAccountSeeder> logger)
{
    public async Task SeedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var role in AppRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Check(await roles.CreateAsync(new IdentityRole<Guid>(role)), $"create role {role}");
            }
        }

        var options = adminOptions.Value;
        if (options.IsConfigured)
        {
            await EnsureAdminAsync(options.Email!.Trim(), options.Password!, cancellationToken);
        }
    }

    private async Task EnsureAdminAsync(string email, string password, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            user = new ApplicationUser { UserName = email, Email = email };
            Check(await users.CreateAsync(user, password), "create the admin account from Admin:Email");
            db.Profiles.Add(Profile.CreateFor(user.Id, email));
            await db.SaveChangesAsync(cancellationToken);
            LogCreated(logger, email);
        }
        else
        {
            // Reset goes through the validators, so a weak configured password is refused, not stored.
            var token = await users.GeneratePasswordResetTokenAsync(user);
            Check(await users.ResetPasswordAsync(user, token, password), "reset the admin password from Admin:Password");
            await users.SetLockoutEndDateAsync(user, null);
            await users.ResetAccessFailedCountAsync(user);
            LogReset(logger, email);
        }

        // One role per account: an existing User or Author promoted to Admin leaves the old role.
        var current = await users.GetRolesAsync(user);
        Check(await users.RemoveFromRolesAsync(user, current.Where(r => r != AppRoles.Admin)), "replace the admin's role");
        if (!current.Contains(AppRoles.Admin))
        {
            Check(await users.AddToRoleAsync(user, AppRoles.Admin), "give the admin account the Admin role");
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static void Check(IdentityResult result, string action)
    {
        if (!result.Succeeded)
        {
            throw new StartupException(
                $"Could not {action}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created admin account {Email} from configuration")]
    private static partial void LogCreated(ILogger logger, string email);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reset admin account {Email} from configuration")]
    private static partial void LogReset(ILogger logger, string email);
}
