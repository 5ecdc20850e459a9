using System.Net;
using System.Text.RegularExpressions;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>The headers every response carries, and what changes over HTTPS.</summary>
public sealed partial class SecurityHeadersTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Csp(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Content-Security-Policy", out var values) ? string.Join(" ", values)
        : throw new Xunit.Sdk.XunitException($"no CSP on {(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {response.Headers} {response.Content.Headers}");

    [Fact]
    public async Task A_page_runs_only_the_apps_own_scripts_and_its_import_map_by_a_fresh_nonce()
    {
        using var first = await app.CreateClient().GetAsync("/Account/Login", Ct);
        using var second = await app.CreateClient().GetAsync("/Account/Login", Ct);
        var html = await first.Content.ReadAsStringAsync(Ct);
        var csp = Csp(first);

        var nonce = Regex.Match(csp, "script-src 'self' 'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.DoesNotContain(nonce, Csp(second), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline' 'nonce", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        var inlineScripts = InlineScript().Matches(html);
        Assert.Single(inlineScripts); // the import map
        Assert.Equal(nonce, inlineScripts[0].Groups["nonce"].Value);
        Assert.Equal("nosniff", first.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", first.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", first.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task Api_answers_and_not_found_pages_carry_the_headers_too()
    {
        using var api = await app.CreateClient().GetAsync("/v1/models", Ct);
        using var missing = await app.CreateClient().GetAsync("/no-such-page", Ct);

        foreach (var response in new[] { api, missing })
        {
            Assert.Contains("frame-ancestors 'none'", Csp(response), StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
    }

    [Fact]
    public async Task Over_https_or_behind_a_tls_proxy_browsers_are_told_to_stay_and_cookies_are_secure()
    {
        // A real host name: browsers ignore HSTS for localhost, and ASP.NET Core leaves it out there.
        var direct = app.CreateClient();
        direct.BaseAddress = new Uri("https://mrprompt.example");
        var proxied = app.CreateClient();
        proxied.BaseAddress = new Uri("http://mrprompt.example");
        proxied.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        var plain = app.CreateClient();
        plain.BaseAddress = new Uri("http://mrprompt.example");

        var cookies = new List<string>();
        foreach (var client in new[] { direct, proxied, plain })
        {
            var registered = await AccountForms.RegisterAsync(client, $"tls-{Guid.NewGuid():N}@example.com", "Passw0rd!");
            cookies.Add(string.Join("\n", registered.Headers.GetValues("Set-Cookie")));
        }
        using var httpsPage = await direct.GetAsync("/", Ct);
        using var proxiedPage = await proxied.GetAsync("/", Ct);
        using var plainPage = await plain.GetAsync("/", Ct);

        Assert.Contains("max-age=", httpsPage.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
        Assert.True(proxiedPage.Headers.Contains("Strict-Transport-Security"));
        Assert.False(plainPage.Headers.Contains("Strict-Transport-Security"));
        Assert.Contains("MrPrompt.Auth=", cookies[0], StringComparison.Ordinal);
        Assert.All(cookies[0].Split('\n').Concat(cookies[1].Split('\n')), cookie => Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase));
        Assert.All(cookies[2].Split('\n'), cookie => Assert.DoesNotContain("; secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex("""<script(?![^>]*\bsrc=)(?:[^>]*\bnonce="(?<nonce>[^"]*)")?[^>]*>""")]
    private static partial Regex InlineScript();
}
