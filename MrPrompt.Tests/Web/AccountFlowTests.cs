using MrPrompt.Infrastructure.Accounts;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Account.Pages;

namespace MrPrompt.Tests.Web;

/// <summary>Registration, sign-in, roles and lockout through the real HTTP pipeline and pages.</summary>
public sealed partial class AccountFlowTests(MrPromptApp app) : IClassFixture<MrPromptApp>
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
        Assert.Contains(Login.Refusal, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_disabled_account_cannot_sign_in_until_it_is_enabled_again()
    {
        var email = Unique("disabled");
        await AccountForms.RegisterAsync(app.CreateClient(), email, "Passw0rd!");
        var directory = app.Services.GetRequiredService<AccountDirectory>();
        var id = (await directory.ListAsync(TestUsers.AsAdmin(Guid.Empty), email, Ct)).Single().Id;
        // The first account of this app is its Admin, and the last Admin cannot be disabled: whichever test runs first.
        await TestUsers.SetRoleAsync(app.Services, id, "User");

        Assert.Null(await directory.SetDisabledAsync(TestUsers.AsAdmin(id), id, disabled: true, Ct));
        var refused = await AccountForms.SignInAsync(app.CreateClient(), email, "Passw0rd!");
        Assert.Null(await directory.SetDisabledAsync(TestUsers.AsAdmin(id), id, disabled: false, Ct));
        var allowed = await AccountForms.SignInAsync(app.CreateClient(), email, "Passw0rd!");

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains(Login.Refusal, await refused.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Redirect, allowed.StatusCode);
        var attempts = await app.Services.GetRequiredService<MrPrompt.Infrastructure.Audit.AuditLog>().ListAsync(TestUsers.AsAdmin(Guid.Empty), new(Search: email), Ct);
        Assert.Equal(["signed in", "refused: account disabled"], attempts.Where(a => a.Action is "sign_in" or "sign_in_failed").Select(a => a.Detail));
    }

    [Fact]
    public async Task Five_wrong_passwords_from_one_address_shut_out_that_address_but_not_the_owner_elsewhere()
    {
        var email = Unique("guessed");
        await AccountForms.RegisterAsync(app.CreateClient(), email, "Passw0rd!");

        for (var attempt = 0; attempt < IdentityRules.MaxFailedSignIns; attempt++)
        {
            var failed = await AccountForms.SignInAsync(app.CreateClient(from: "203.0.113.7"), email, "Wrong0ne!");
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        }
        var guesserWithTheRightPassword = await AccountForms.SignInAsync(app.CreateClient(from: "203.0.113.7"), email, "Passw0rd!");
        var owner = await AccountForms.SignInAsync(app.CreateClient(from: "198.51.100.20"), email, "Passw0rd!");

        Assert.Equal(HttpStatusCode.OK, guesserWithTheRightPassword.StatusCode);
        Assert.Contains(Login.Refusal, await guesserWithTheRightPassword.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Redirect, owner.StatusCode);
        Assert.Equal("/", PathOf(owner));
    }

    [Fact]
    public async Task A_flood_of_wrong_passwords_from_many_addresses_locks_the_account_everywhere()
    {
        var email = Unique("flooded");
        await AccountForms.RegisterAsync(app.CreateClient(), email, "Passw0rd!");

        for (var attempt = 0; attempt < IdentityRules.MaxFailedSignInsEverywhere; attempt++)
        {
            await AccountForms.SignInAsync(app.CreateClient(from: $"203.0.113.{attempt}"), email, "Wrong0ne!");
        }
        var owner = await AccountForms.SignInAsync(app.CreateClient(from: "198.51.100.21"), email, "Passw0rd!");

        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        Assert.Contains(Login.Refusal, await owner.Content.ReadAsStringAsync(Ct));
        var account = (await app.Services.GetRequiredService<AccountDirectory>().ListAsync(TestUsers.AsAdmin(Guid.Empty), email, Ct)).Single();
        Assert.True(account.IsLockedOutAt(DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Unknown_wrong_throttled_locked_and_disabled_accounts_get_the_same_answer()
    {
        var directory = app.Services.GetRequiredService<AccountDirectory>();
        async Task<Guid> RegisteredAsync(string email)
        {
            await AccountForms.RegisterAsync(app.CreateClient(), email, "Passw0rd!");
            return (await directory.ListAsync(TestUsers.AsAdmin(Guid.Empty), email, Ct)).Single().Id;
        }
        var (wrong, throttled, locked, disabled) = (Unique("same-wrong"), Unique("same-throttled"), Unique("same-locked"), Unique("same-disabled"));
        await RegisteredAsync(wrong);
        await RegisteredAsync(throttled);
        for (var attempt = 0; attempt < IdentityRules.MaxFailedSignIns; attempt++)
        {
            await AccountForms.SignInAsync(app.CreateClient(from: "203.0.113.99"), throttled, "Wrong0ne!");
        }
        var lockedId = await RegisteredAsync(locked);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<ApplicationUser>>();
            await users.SetLockoutEndDateAsync((await users.FindByIdAsync(lockedId.ToString()))!, DateTimeOffset.UtcNow.AddHours(1));
        }
        var disabledId = await RegisteredAsync(disabled);
        await directory.SetDisabledAsync(TestUsers.AsAdmin(Guid.Empty), disabledId, disabled: true, Ct);

        var answers = new[]
        {
            await AccountForms.SignInAsync(app.CreateClient(from: "203.0.113.99"), Unique("nobody"), "Passw0rd!"),
            await AccountForms.SignInAsync(app.CreateClient(from: "203.0.113.99"), wrong, "Wrong0ne!"),
            await AccountForms.SignInAsync(app.CreateClient(from: "203.0.113.99"), throttled, "Passw0rd!"),
            await AccountForms.SignInAsync(app.CreateClient(from: "203.0.113.99"), locked, "Passw0rd!"),
            await AccountForms.SignInAsync(app.CreateClient(from: "203.0.113.99"), disabled, "Passw0rd!"),
        };

        var errors = new List<string>();
        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            errors.Add(FormError().Match(await answer.Content.ReadAsStringAsync(Ct)).Groups[1].Value.Trim());
        }
        Assert.All(errors, error => Assert.Equal(Login.Refusal, error));
    }

    [System.Text.RegularExpressions.GeneratedRegex("""data-testid="form-error"[^>]*>(?:\s*<[^>]+>)*([^<]*)""")]
    private static partial System.Text.RegularExpressions.Regex FormError();

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
