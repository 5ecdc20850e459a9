using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Authentication;

/// <summary>
/// The sign-in cookie's check on each request. A cookie issued before its account last changed
/// (<see cref="AccountChanges"/>: a new role, name or avatar, a disabled account) is checked against the
/// database now, and renewed with what is true today or refused; any other cookie gets Identity's
/// periodic security-stamp check. A role change thus applies on the next request, without signing in again.
/// </summary>
internal static class AccountChangeRefresh
{
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var changes = context.HttpContext.RequestServices.GetRequiredService<AccountChanges>();
        if (context.Principal is not { } principal || UserId.Of(principal) is not { } userId || !changes.ChangedSince(userId, context.Properties.IssuedUtc))
        {
            await SecurityStampValidator.ValidatePrincipalAsync(context);
            return;
        }
        var signIn = context.HttpContext.RequestServices.GetRequiredService<SignInManager<ApplicationUser>>();
        if (await CurrentPrincipalAsync(signIn, principal) is { } current)
        {
            context.ReplacePrincipal(current);
            context.ShouldRenew = true;
        }
        else
        {
            context.RejectPrincipal();
            await signIn.SignOutAsync();
        }
    }

    /// <summary>The account's sign-in as it should be now; null when it may no longer sign in (disabled, or a new password since).</summary>
    public static async Task<ClaimsPrincipal?> CurrentPrincipalAsync(SignInManager<ApplicationUser> signIn, ClaimsPrincipal principal) =>
        await signIn.ValidateSecurityStampAsync(principal) is { } user && await signIn.CanSignInAsync(user)
            ? await signIn.CreateUserPrincipalAsync(user)
            : null;
}
