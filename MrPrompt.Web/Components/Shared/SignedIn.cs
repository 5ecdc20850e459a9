using System.Security.Claims;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Web.Components.Shared;

/// <summary>What a signed-in person's sign-in says of them, for the top bar and greetings (<see cref="AccountClaims"/>).</summary>
public static class SignedIn
{
    /// <summary>The name they chose; the email for a sign-in made before sign-ins carried it.</summary>
    public static string NameOf(ClaimsPrincipal user) =>
        user.FindFirstValue(AccountClaims.DisplayNameType) is { Length: > 0 } name ? name : user.Identity?.Name ?? "";

    public static string? AvatarOf(ClaimsPrincipal user) => user.FindFirstValue(AccountClaims.AvatarUrlType);
}
