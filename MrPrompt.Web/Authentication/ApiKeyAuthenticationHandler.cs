using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Web.Endpoints.OpenAi;

namespace MrPrompt.Web.Authentication;

/// <summary>
/// Signs a request in with a personal API key sent as <c>Authorization: Bearer mrp_…</c>. Requests
/// without such a header are left to the other schemes; a wrong, expired or revoked key is a 401
/// ProblemDetails, never a redirect to the login page.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyService keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>The key a request was signed in with, for the usage log.</summary>
    public const string KeyIdClaim = "mrp:api_key_id";

    /// <summary>One claim per model the key is limited to; none means every model the user can call.</summary>
    public const string AllowedModelClaim = "mrp:allowed_model";

    /// <summary>One claim per scope the key was made with (<see cref="Domain.ApiKeys.ApiKeyScopes"/>).</summary>
    public const string ScopeClaim = "mrp:scope";

    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var caller = await keys.AuthenticateAsync(header[BearerPrefix.Length..].Trim(), Context.RequestAborted);
        if (caller is null)
        {
            return AuthenticateResult.Fail("The API key is not valid: it is unknown, expired or revoked, or its account is disabled.");
        }
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, caller.UserId.ToString()),
            new(ClaimTypes.Name, caller.Email),
            new(ClaimTypes.Role, caller.Role),
            new(KeyIdClaim, caller.KeyId.ToString()),
        };
        claims.AddRange(caller.AllowedModels.Select(m => new Claim(AllowedModelClaim, m)));
        claims.AddRange(caller.Scopes.Select(s => new Claim(ScopeClaim, s)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure?.Message ?? "Send a personal API key as 'Authorization: Bearer mrp_…'. Create one in Settings → API keys.";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        // OpenAI's SDKs read their own error shape; the rest of the API speaks ProblemDetails.
        if (Request.Path.StartsWithSegments("/v1"))
        {
            await Response.WriteAsJsonAsync(OpenAiError.Of(StatusCodes.Status401Unauthorized, detail, "invalid_request_error", "invalid_api_key"));
            return;
        }
        await Response.WriteAsJsonAsync(new ProblemDetails
        {
            Title = "Sign in or send an API key",
            Detail = detail,
            Status = StatusCodes.Status401Unauthorized,
        }, options: null, contentType: "application/problem+json");
    }
}
