using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Profiles;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>
/// Creates accounts: the user, its role and its profile in one transaction, so a failure leaves nothing
/// behind. The first account of an installation without an Admin becomes the Admin.
/// </summary>
public sealed partial class AccountRegistrar(
    AppDbContext db,
    UserManager<ApplicationUser> users,
    ILogger<AccountRegistrar> logger)
{
    // Any constant works; it only has to be the same for every registration so they queue on it.
    private const long FirstAdminLockKey = 0x4D7250726F6D7074; // "MrPrompt"

    public Task<RegistrationResult> RegisterAsync(string email, string password, CancellationToken cancellationToken = default) =>
        RegisterAsync(email, password, null, cancellationToken);

    /// <summary>Creates an account with <paramref name="role"/> (one of <see cref="AppRoles.All"/>), or by the first-admin rule when null.</summary>
    public async Task<RegistrationResult> RegisterAsync(string email, string password, string? role, CancellationToken cancellationToken = default)
    {
        email = email.Trim();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Two people registering at once on a new install must not both become Admin.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({FirstAdminLockKey})", cancellationToken);

        var user = new ApplicationUser { UserName = email, Email = email };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            await transaction.RollbackAsync(cancellationToken);
            return RegistrationResult.Failed(IdentityErrorFields.ToFieldErrors(created.Errors));
        }

        role ??= (await users.GetUsersInRoleAsync(AppRoles.Admin)).Count == 0 ? AppRoles.Admin : AppRoles.User;
        var roleAdded = await users.AddToRoleAsync(user, role);
        if (!roleAdded.Succeeded)
        {
            await transaction.RollbackAsync(cancellationToken);
            return RegistrationResult.Failed(IdentityErrorFields.ToFieldErrors(roleAdded.Errors));
        }

        db.Profiles.Add(Profile.CreateFor(user.Id, email));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        LogRegistered(logger, user.Id, role);
        return new RegistrationResult(user.Id, role, new());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered account {UserId} with role {Role}")]
    private static partial void LogRegistered(ILogger logger, Guid userId, string role);
}
