using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace MrPrompt.Web.Authentication;

/// <summary>
/// The policies of the HTTP API: a signed-in browser (the cookie) or a program (an API key); the admin
/// endpoints also want the Admin role, and a key made with the admin scope.
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
        // An Admin's key reaches the admin API only if made for it: a key handed to a program that calls
        // models must not also read every account and change retention.
        options.AddPolicy(AdminPolicy, policy => policy
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme, ApiKeyAuthenticationHandler.SchemeName)
            .RequireRole(MrPrompt.Domain.Accounts.AppRoles.Admin)
            .RequireAssertion(context => context.User.Identities.All(identity => identity.AuthenticationType != ApiKeyAuthenticationHandler.SchemeName)
                || context.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, MrPrompt.Domain.ApiKeys.ApiKeyScopes.Admin)));
    }
}
