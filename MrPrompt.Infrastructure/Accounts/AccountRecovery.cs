using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Common;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>A one-time link to choose a new password, made by an admin to hand over (there is no mail server).</summary>
public sealed record PasswordResetLink(Guid UserId, string Email, string Code, DateTimeOffset ExpiresAt)
{
    public const string Path = "Account/ResetPassword";

    /// <summary>The link on the site at <paramref name="baseUri"/> (ending in '/').</summary>
    public string On(string baseUri) => $"{baseUri}{Path}?user={UserId}&code={Code}";
}

/// <summary>
/// Getting into an account again without a mail server: an admin unlocks it after too many wrong
/// passwords, or makes a one-time link to choose a new password and hands it over; the person changes
/// their own password while signed in. A new password ends the account's other sessions on their
/// next request. Every step is audited; none records a secret.
/// </summary>
public sealed class AccountRecovery(IServiceScopeFactory scopes, AuditLog audit, AccountChanges changes, SignInThrottle throttle, TimeProvider clock)
{
    /// <summary>The field a wrong current password is reported on.</summary>
    public const string CurrentPasswordField = "CurrentPassword";

    /// <summary>How long a reset link works (Identity's token lifespan is set to match); using it once ends it.</summary>
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromHours(24);

    public async Task<string?> UnlockAsync(AdminCaller admin, Guid userId)
    {
        using var acrossAccounts = admin.AcrossAccounts("Unlock");
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(userId.ToString()) is not { } user)
        {
            return "This account no longer exists.";
        }
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        throttle.Forget(user.Email!);
        await audit.RecordAsync(AuditActions.AccountUnlocked, admin.UserId, "", userId, $"{user.Email} unlocked");
        return null;
    }

    public async Task<(PasswordResetLink? Link, string? Problem)> CreateResetLinkAsync(AdminCaller admin, Guid userId)
    {
        using var acrossAccounts = admin.AcrossAccounts("CreateResetLink");
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(userId.ToString()) is not { } user)
        {
            return (null, "This account no longer exists.");
        }
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token));
        await audit.RecordAsync(AuditActions.PasswordResetLinkCreated, admin.UserId, "", userId, $"a password reset link for {user.Email}");
        return (new PasswordResetLink(userId, user.Email!, code, clock.GetUtcNow() + LinkLifetime), null);
    }

    /// <summary>
    /// Sets a new password with a link's code. Identity's code is tied to the account's security stamp,
    /// which the new password changes: a link works once. The account is unlocked too.
    /// </summary>
    public async Task<FieldErrors> ResetPasswordAsync(Guid userId, string code, string newPassword, string? source)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByIdAsync(userId.ToString());
        string token;
        try
        {
            token = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(code));
        }
        catch (FormatException)
        {
            token = "";
        }
        var result = user is null ? null : await users.ResetPasswordAsync(user, token, newPassword);
        if (user is null || result is null || result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.InvalidToken)))
        {
            var expired = new FieldErrors();
            expired.Add(IdentityErrorFields.Form, "This link was already used or has expired. Ask an administrator for a new one.");
            return expired;
        }
        if (!result.Succeeded)
        {
            return IdentityErrorFields.ToFieldErrors(result.Errors);
        }
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        throttle.Forget(user.Email!);
        changes.Record(userId);
        await audit.RecordAsync(AuditActions.PasswordReset, userId, user.Email ?? "", userId, "new password set with a reset link", source);
        return new FieldErrors();
    }

    /// <summary>
    /// The signed-in person's own change. Returns the account as it is now, to sign this session in again
    /// with its new security stamp (the request's own copy of the account may predate the change).
    /// </summary>
    public async Task<(FieldErrors Errors, ApplicationUser? Changed)> ChangePasswordAsync(Guid userId, string currentPassword, string newPassword, string? source)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(userId.ToString()) is not { } user)
        {
            var gone = new FieldErrors();
            gone.Add(IdentityErrorFields.Form, "This account no longer exists.");
            return (gone, null);
        }
        var errors = new FieldErrors();
        if (await users.IsLockedOutAsync(user) || throttle.IsRefused(user.Email!, source))
        {
            errors.Add(CurrentPasswordField, $"Too many wrong passwords: try again in {IdentityRules.LockoutDuration.TotalMinutes:0} minutes.");
            return (errors, null);
        }
        var result = await users.ChangePasswordAsync(user, currentPassword, newPassword);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                if (error.Code == nameof(IdentityErrorDescriber.PasswordMismatch))
                {
                    // Guesses count here as at sign-in: a session left open must not become a way to try passwords.
                    throttle.RecordFailure(user.Email!, source);
                    await users.AccessFailedAsync(user);
                    errors.Add(CurrentPasswordField, "That is not your current password.");
                }
                else
                {
                    errors.Add(IdentityErrorFields.Password, error.Description);
                }
            }
            return (errors, null);
        }
        changes.Record(userId);
        await audit.RecordAsync(AuditActions.PasswordChanged, userId, user.Email ?? "", userId, "changed their password", source);
        return (new FieldErrors(), user);
    }
}
