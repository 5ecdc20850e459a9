namespace MrPrompt.Web.Authentication;

/// <summary>
/// Refuses a change (POST, PUT, DELETE…) made with a browser's sign-in when the browser says it comes
/// from another site (<c>Sec-Fetch-Site</c>): a page on a sibling subdomain is "same-site", so the
/// SameSite cookie alone would let it unlock accounts or mint reset links with an admin's sign-in.
/// Programs with an API key, and clients that send no such header, are not browsers on a page.
/// </summary>
internal static class CrossSiteRequests
{
    public static async ValueTask<object?> RefuseAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var changes = !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method));
        var byCookie = !http.User.Identities.Any(identity => identity.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName);
        if (changes && byCookie && http.Request.Headers["Sec-Fetch-Site"] is [{ } site] && site != "same-origin" && site != "none")
        {
            return TypedResults.Problem(title: "Not from this site", statusCode: StatusCodes.Status403Forbidden,
                detail: "A change made with a browser's sign-in must come from MrPrompt's own pages.");
        }
        return await next(context);
    }
}
