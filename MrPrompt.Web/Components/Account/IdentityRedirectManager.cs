using Microsoft.AspNetCore.Components;

namespace MrPrompt.Web.Components.Account;

/// <summary>Redirects from account pages, refusing anything that would leave this site.</summary>
internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    public void RedirectTo(string? uri)
    {
        uri ??= "";
        // Only local paths: an attacker's returnUrl must not turn sign-in into an open redirect.
        if (!Uri.IsWellFormedUriString(uri, UriKind.Relative) || uri.StartsWith("//", StringComparison.Ordinal) || uri.StartsWith("/\\", StringComparison.Ordinal))
        {
            uri = navigationManager.ToBaseRelativePath(uri);
        }
        navigationManager.NavigateTo(uri);
    }
}
