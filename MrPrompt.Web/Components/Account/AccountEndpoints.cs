using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Web.Components.Account;

/// <summary>HTTP endpoints the account pages need beyond rendering: signing out must change the cookie.</summary>
internal static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/Account");
        account.MapPost("/Logout", SignOutAsync).WithName("SignOut");
    }

    private static async Task<RedirectHttpResult> SignOutAsync(
        [FromServices] SignInManager<ApplicationUser> signInManager, [FromForm] string? returnUrl)
    {
        await signInManager.SignOutAsync();
        // LocalRedirect refuses anything that is not a local path.
        return TypedResults.LocalRedirect($"~/{returnUrl?.TrimStart('/')}");
    }
}
