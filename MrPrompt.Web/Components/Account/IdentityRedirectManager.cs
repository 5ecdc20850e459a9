using Microsoft.AspNetCore.Components;

namespace MrPrompt.Web.Components.Account;

/// <summary>Redirects from account pages, refusing anything that would leave this site.</summary>
internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    /// <summary>Goes to <paramref name="uri"/> when it is a path on this site, else to the start page.</summary>
    public void RedirectTo(string? uri) => navigationManager.NavigateTo(IsLocalPath(uri) ? uri! : "");

    // An attacker's returnUrl must not turn sign-in into an open redirect: no scheme, no host,
    // no protocol-relative "//host" or "/\host" forms that browsers treat as another site.
    internal static bool IsLocalPath(string? uri) =>
        !string.IsNullOrEmpty(uri)
        && Uri.IsWellFormedUriString(uri, UriKind.Relative)
        && !uri.Contains(':', StringComparison.Ordinal)
        && !uri.StartsWith("//", StringComparison.Ordinal)
        && !uri.StartsWith("/\\", StringComparison.Ordinal);
}
