using Microsoft.AspNetCore.Antiforgery;

namespace MrPrompt.Web.Authentication;

/// <summary>
/// Refuses a change (POST, PUT, DELETE…) made with a browser's sign-in unless the browser says it comes
/// from MrPrompt's own pages (<c>Sec-Fetch-Site: same-origin</c>) or it carries the antiforgery token: a page
/// on another site, even a sibling subdomain the SameSite cookie lets through, cannot spend a signed-in
/// person's budget or change anything as them. Programs with an API key are not browsers on a page.
/// </summary>
internal static class CrossSiteRequests
{
    public const string Explanation =
        "A change made with a browser's sign-in must come from MrPrompt's own pages (Sec-Fetch-Site: same-origin) or carry its antiforgery token; programs send an API key.";

    /// <summary>An endpoint filter that answers a refused request with <paramref name="refusal"/>, in the endpoint's own error shape.</summary>
    public static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> Refuse(Func<HttpContext, IResult> refusal) =>
        async (context, next) => await IsForgeableAsync(context.HttpContext) ? refusal(context.HttpContext) : await next(context);

    private static async Task<bool> IsForgeableAsync(HttpContext http)
    {
        var method = http.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
            || http.User.Identities.Any(identity => identity.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName))
        {
            return false;
        }
        if (http.Request.Headers["Sec-Fetch-Site"] is ["same-origin"])
        {
            return false;
        }
        return !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http);
    }
}
