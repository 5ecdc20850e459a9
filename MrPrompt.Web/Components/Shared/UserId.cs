using System.Security.Claims;

namespace MrPrompt.Web.Components.Shared;

/// <summary>The account id carried in the sign-in cookie's claims.</summary>
public static class UserId
{
    public static Guid? Of(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;
}
