using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Common;
using MrPrompt.Domain.Profiles;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>What the registration page offers: a form (for an invitation naming an email, with that email), or why not.</summary>
public sealed record RegistrationForm(bool Offered, string? Refusal, string? InvitedEmail);

/// <summary>
/// Creates accounts: the user, its role and its profile in one transaction, so a failure leaves nothing
/// behind. People registering themselves pass the registration rules (<see cref="RegistrationRules"/>:
/// the mode, the allowed domains, an invitation, which is used up in the same transaction); operators
/// (<c>create-user</c>) do not. The first account of an installation without an Admin becomes the Admin.
/// </summary>
public sealed partial class AccountRegistrar(
    AppDbContext db,
    UserManager<ApplicationUser> users,
    IOptions<AccountOptions> options,
    AuditLog audit,
    TimeProvider clock,
    ILogger<AccountRegistrar> logger)
{
    // Any constant works; it only has to be the same for every registration so they queue on it.
    private const long FirstAdminLockKey = 0x4D7250726F6D7074; // "MrPrompt"

    /// <summary>The registration mode in force now: the configured one, or open until the first Admin exists.</summary>
    public async Task<RegistrationMode> ModeAsync(CancellationToken cancellationToken = default) =>
        RegistrationRules.ModeFor(options.Value.Registration, await AdminExistsAsync(cancellationToken));

    public async Task<RegistrationForm> FormAsync(string? invitationCode, CancellationToken cancellationToken = default)
    {
        var mode = await ModeAsync(cancellationToken);
        if (mode == RegistrationMode.Closed)
        {
            return new(false, RegistrationRules.ClosedMessage, null);
        }
        if (!string.IsNullOrEmpty(invitationCode))
        {
            return await Invitations.FindAsync(db, invitationCode, cancellationToken) is { } invitation && invitation.IsOpenAt(clock.GetUtcNow())
                ? new(true, null, invitation.Email)
                : new(false, RegistrationRules.InvitationGoneMessage, null);
        }
        return mode == RegistrationMode.Invite ? new(false, RegistrationRules.InviteOnlyMessage, null) : new(true, null, null);
    }

    /// <summary>A person registering on the page, with an invitation's code if they came by one.</summary>
    public Task<RegistrationResult> SignUpAsync(string email, string password, string? invitationCode, string? source, CancellationToken cancellationToken = default) =>
        CreateAsync(email, password, role: null, new SelfService(invitationCode, source), cancellationToken);

    /// <summary>An operator's account (or a test's): no registration rules.</summary>
    public Task<RegistrationResult> RegisterAsync(string email, string password, CancellationToken cancellationToken = default) =>
        RegisterAsync(email, password, null, cancellationToken);

    /// <summary>An operator's account with <paramref name="role"/> (one of <see cref="AppRoles.All"/>), or by the first-admin rule when null.</summary>
    public Task<RegistrationResult> RegisterAsync(string email, string password, string? role, CancellationToken cancellationToken = default) =>
        CreateAsync(email, password, role, selfService: null, cancellationToken);

    private sealed record SelfService(string? InvitationCode, string? Source);

    private async Task<RegistrationResult> CreateAsync(string email, string password, string? role, SelfService? selfService, CancellationToken cancellationToken)
    {
        email = email.Trim();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Two people registering at once on a new install must not both become Admin, nor two use one invitation.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({FirstAdminLockKey})", cancellationToken);

        var adminExists = await AdminExistsAsync(cancellationToken);
        Invitation? invitation = null;
        if (selfService is not null)
        {
            if (!string.IsNullOrEmpty(selfService.InvitationCode))
            {
                invitation = await Invitations.FindAsync(db, selfService.InvitationCode, cancellationToken);
            }
            var refusal = invitation is null && !string.IsNullOrEmpty(selfService.InvitationCode)
                ? RegistrationRules.InvitationGoneMessage // a code that was never made
                : RegistrationRules.Refusal(RegistrationRules.ModeFor(options.Value.Registration, adminExists), email,
                    RegistrationRules.DomainsOf(options.Value.AllowedEmailDomains), invitation, clock.GetUtcNow());
            if (refusal is not null)
            {
                await transaction.RollbackAsync(cancellationToken);
                var errors = new FieldErrors();
                errors.Add(IdentityErrorFields.Form, refusal);
                return RegistrationResult.Failed(errors);
            }
        }

        var user = new ApplicationUser { UserName = email, Email = email };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            await transaction.RollbackAsync(cancellationToken);
            return RegistrationResult.Failed(IdentityErrorFields.ToFieldErrors(created.Errors));
        }

        role ??= invitation?.Role ?? (adminExists ? AppRoles.User : AppRoles.Admin);
        var roleAdded = await users.AddToRoleAsync(user, role);
        if (!roleAdded.Succeeded)
        {
            await transaction.RollbackAsync(cancellationToken);
            return RegistrationResult.Failed(IdentityErrorFields.ToFieldErrors(roleAdded.Errors));
        }

        if (invitation is not null)
        {
            (invitation.UsedAt, invitation.UsedBy) = (clock.GetUtcNow(), user.Id);
        }
        // The profile is the new account's own row: this transaction acts as that account from here
        // (row-level security; whoever registers, nobody is signed in yet).
        await RowSecurityInterceptor.ActAsInTransactionAsync(db.Database, user.Id, cancellationToken);
        db.Profiles.Add(Profile.CreateFor(user.Id, email));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        if (invitation is not null)
        {
            await audit.RecordAsync(AuditActions.InvitationUsed, user.Id, email, invitation.Id, $"{email} registered as {role} with an invitation", selfService?.Source);
        }
        LogRegistered(logger, user.Id, role);
        return new RegistrationResult(user.Id, role, new());
    }

    private Task<bool> AdminExistsAsync(CancellationToken cancellationToken) =>
        db.UserRoles.AnyAsync(ur => db.Roles.Any(r => r.Id == ur.RoleId && r.NormalizedName == AppRoles.Admin.ToUpperInvariant()), cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered account {UserId} with role {Role}")]
    private static partial void LogRegistered(ILogger logger, Guid userId, string role);
}
