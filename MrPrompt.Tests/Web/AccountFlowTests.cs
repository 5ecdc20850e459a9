using MrPrompt.Infrastructure.Accounts;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>Registration, sign-in, roles and lockout through the real HTTP pipeline and pages.</summary>
public sealed class AccountFlowTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The path a redirect points to, whether the app wrote it absolute or relative.</summary>
    private static string PathOf(HttpResponseMessage redirect) =>
        new Uri(new Uri("http://localhost"), redirect.Headers.Location!).AbsolutePath;

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}@example.com";

    [Fact]
    public async Task Anonymous_visitors_are_sent_to_sign_in_and_come_back()
    {
        var client = app.CreateClient();
        var response = await client.GetAsync("/settings", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/Account/Login", PathOf(response));
        Assert.Contains("ReturnUrl=%2Fsettings", response.Headers.Location!.Query);
    }

    [Fact]
    public async Task Sign_in_returns_to_the_page_asked_for_but_never_off_site()
    {
        var email = Unique("back");
        await AccountForms.RegisterAsync(app.CreateClient(), email, "Passw0rd!");

        var local = await AccountForms.SignInAsync(app.CreateClient(), email, "Passw0rd!", "/settings");
        var offSite = await AccountForms.SignInAsync(app.CreateClient(), email, "Passw0rd!", "https://evil.example/steal");

        Assert.Equal("/settings", PathOf(local));
        Assert.Equal(HttpStatusCode.Redirect, offSite.StatusCode);
        Assert.Equal("localhost", new Uri(new Uri("http://localhost"), offSite.Headers.Location!).Host);
    }

    [Fact]
    public async Task Duplicate_email_is_shown_next_to_the_email_field()
    {
        var email = Unique("dup");
        await AccountForms.RegisterAsync(app.CreateClient(), email, "Passw0rd!");

        var again = await AccountForms.RegisterAsync(app.CreateClient(), email.ToUpperInvariant(), "Passw0rd!");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("An account with this email already exists.", await again.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Weak_password_and_mismatch_are_explained()
    {
        var weak = await AccountForms.RegisterAsync(app.CreateClient(), Unique("weak"), "password");
        var mismatch = await AccountForms.RegisterAsync(app.CreateClient(), Unique("mismatch"), "Passw0rd!", "Passw0rd?");

        Assert.Contains("Passwords must have at least one digit", await weak.Content.ReadAsStringAsync(Ct));
        Assert.Contains("The two passwords differ.", await mismatch.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Wrong_password_is_refused_with_a_message()
    {
        var email = Unique("wrong");
        await AccountForms.RegisterAsync(app.CreateClient(), email, "Passw0rd!");

        var response = await AccountForms.SignInAsync(app.CreateClient(), email, "Wrong0ne!");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong email or password.", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_disabled_account_cannot_sign_in_until_it_is_enabled_again()
    {
        var email = Unique("disabled");
        await AccountForms.RegisterAsync(app.CreateClient(), email, "Passw0rd!");
        var directory = app.Services.GetRequiredService<AccountDirectory>();
        var id = (await directory.ListAsync(TestUsers.AsAdmin(Guid.Empty), email, Ct)).Single().Id;

        await directory.SetDisabledAsync(TestUsers.AsAdmin(id), id, disabled: true, Ct);
        var refused = await AccountForms.SignInAsync(app.CreateClient(), email, "Passw0rd!");
        await directory.SetDisabledAsync(TestUsers.AsAdmin(id), id, disabled: false, Ct);
        var allowed = await AccountForms.SignInAsync(app.CreateClient(), email, "Passw0rd!");

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("This account is disabled.", await refused.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Redirect, allowed.StatusCode);
        var attempts = await app.Services.GetRequiredService<MrPrompt.Infrastructure.Audit.AuditLog>().ListAsync(TestUsers.AsAdmin(Guid.Empty), new(Search: email), Ct);
        Assert.Equal(["signed in", "refused: account disabled"], attempts.Where(a => a.Action is "sign_in" or "sign_in_failed").Select(a => a.Detail));
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account_even_against_the_right_password()
    {
        var email = Unique("locked");
        await AccountForms.RegisterAsync(app.CreateClient(), email, "Passw0rd!");

        for (var attempt = 1; attempt < IdentityRules.MaxFailedSignIns; attempt++)
        {
            var failed = await AccountForms.SignInAsync(app.CreateClient(), email, "Wrong0ne!");
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        }
        var last = await AccountForms.SignInAsync(app.CreateClient(), email, "Wrong0ne!");
        var right = await AccountForms.SignInAsync(app.CreateClient(), email, "Passw0rd!");

        Assert.Equal("/Account/Lockout", PathOf(last));
        Assert.Equal("/Account/Lockout", PathOf(right));
    }

    [Fact]
    public async Task Sign_out_ends_the_session()
    {
        var client = app.CreateClient();
        await AccountForms.RegisterAsync(client, Unique("out"), "Passw0rd!");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/settings", Ct)).StatusCode);

        // The menu's sign-out form renders only when opened; any page's token for this user will do.
        var page = await client.GetAsync("/Account/Login", Ct);
        var token = System.Text.RegularExpressions.Regex.Match(await page.Content.ReadAsStringAsync(Ct),
            """name="__RequestVerificationToken" value="([^"]+)""").Groups[1].Value;
        var signedOut = await client.PostAsync("/Account/Logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = System.Net.WebUtility.HtmlDecode(token),
            ["ReturnUrl"] = "",
        }), Ct);

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/settings", Ct)).StatusCode);
    }
}
