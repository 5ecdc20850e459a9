using System.Security.Cryptography;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// Headers every response carries: a Content-Security-Policy that runs only the app's own script files
/// and the one inline script each page has (the import map, by a per-request nonce), never a frame
/// around the app, no content sniffing, and referrers that stop at the origin. HSTS and the redirect
/// to HTTPS come from the framework outside Development (see UseWebPipeline).
/// </summary>
public static class SecurityHeaders
{
    private const string NonceItem = "mrp:csp-nonce";

    /// <summary>
    /// The API reference (Scalar, served by the app) configures itself with an inline script that takes no
    /// nonce; it shows only the app's own OpenAPI document and sits behind sign-in by default.
    /// </summary>
    private const string DocsScripts = "'self' 'unsafe-inline'";

    /// <summary>The nonce of this response's inline script (the import map): random per request.</summary>
    public static string NonceOf(HttpContext context)
    {
        if (context.Items[NonceItem] is not string nonce)
        {
            nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)); // hex: valid in CSP, plain in HTML
            context.Items[NonceItem] = nonce;
        }
        return nonce;
    }

    public static string PolicyFor(HttpContext context)
    {
        var scripts = context.Request.Path.StartsWithSegments(ApiDocumentation.DocsPath) ? DocsScripts : $"'self' 'nonce-{NonceOf(context)}'";
        return string.Join("; ",
            "default-src 'self'",
            $"script-src {scripts}",
            // MudBlazor positions and colours through style attributes; styles cannot run code.
            "style-src 'self' 'unsafe-inline'",
            // Avatars are pictures on the web at an address their owner chose.
            "img-src 'self' data: https:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'");
    }

    public static void UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = PolicyFor(context);
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                return Task.CompletedTask;
            });
            return next(context);
        });
}
