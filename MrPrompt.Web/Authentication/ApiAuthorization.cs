using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace MrPrompt.Web.Authentication;

/// <summary>The policy of every HTTP API endpoint: a signed-in browser (the cookie) or a program (an API key).</summary>
public static class ApiAuthorization
{
    public const string Policy = "Api";

    public static void AddApiPolicy(this AuthorizationOptions options) =>
        options.AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme, ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser());
}
