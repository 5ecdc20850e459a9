using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace MrPrompt.Web.Authentication;

/// <summary>
/// The policies of the HTTP API: a signed-in browser (the cookie) or a program (an API key); the admin
/// endpoints also want the Admin role.
/// </summary>
public static class ApiAuthorization
{
    public const string Policy = "Api";
    public const string AdminPolicy = "ApiAdmin";

    public static void AddApiPolicy(this AuthorizationOptions options)
    {
        options.AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme, ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser());
        options.AddPolicy(AdminPolicy, policy => policy
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme, ApiKeyAuthenticationHandler.SchemeName)
            .RequireRole(MrPrompt.Domain.Accounts.AppRoles.Admin));
    }
}
