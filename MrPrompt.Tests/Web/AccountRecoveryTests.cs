using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Account.Pages;

namespace MrPrompt.Tests.Web;

/// <summary>
/// What changes to an account do to its open sessions, and getting back in without a mail server:
/// role changes on the next request, disabling at once, a new password, an admin's unlock and
/// one-time reset link. Through the real HTTP pipeline and pages.
/// </summary>
public sealed partial class AccountRecoveryTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}@example.com";

    private static string PathOf(HttpResponseMessage redirect) => new Uri(new Uri("http://localhost"), redirect.Headers.Location!).AbsolutePath;

    private AccountDirectory Directory => app.Services.GetRequiredService<AccountDirectory>();

    private AccountRecovery Recovery => app.Services.GetRequiredService<AccountRecovery>();

    private async Task<(HttpClient Client, Guid Id, string Email)> SignedUpAsync(string name)
    {
        // The first account of a database becomes its Admin; the accounts under test must be plain ones.
        if ((await Directory.ListAsync(TestUsers.AsAdmin(Guid.Empty), null, Ct)).Count == 0)
        {
            await TestUsers.RegisterAsync(app.Services, Unique("owner"));
        }
        var client = app.CreateClient();
        var email = Unique(name);
        await AccountForms.RegisterAsync(client, email, "Passw0rd!");
        var id = (await Directory.ListAsync(TestUsers.AsAdmin(Guid.Empty), email, Ct)).Single().Id;
        return (client, id, email);
    }

    [Fact]
    public async Task A_new_role_applies_on_the_next_request_without_signing_in_again()
    {
        var (client, id, _) = await SignedUpAsync("promoted");
        Assert.Equal("/Account/AccessDenied", PathOf(await client.GetAsync("/admin/users", Ct)));

        Assert.Null(await Directory.ChangeRoleAsync(TestUsers.AsAdmin(Guid.Empty), id, AppRoles.Admin, Ct));
        var promoted = await client.GetAsync("/admin/users", Ct);
        Assert.Null(await Directory.ChangeRoleAsync(TestUsers.AsAdmin(Guid.Empty), id, AppRoles.User, Ct));
        var demoted = await client.GetAsync("/admin/users", Ct);
        var stillIn = await client.GetAsync("/settings", Ct);

        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        Assert.Equal("/Account/AccessDenied", PathOf(demoted));
        Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode); // signed in all along
    }

    [Fact]
    public async Task A_disabled_accounts_open_session_ends_on_its_next_request()
    {
        var (client, id, _) = await SignedUpAsync("switched-off");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/settings", Ct)).StatusCode);

        await Directory.SetDisabledAsync(TestUsers.AsAdmin(Guid.Empty), id, disabled: true, Ct);

        Assert.Equal("/Account/Login", PathOf(await client.GetAsync("/settings", Ct)));
    }

    [Fact]
    public async Task A_new_password_keeps_this_session_ends_the_others_and_signs_in_from_then_on()
    {
        var (client, _, email) = await SignedUpAsync("new-password");
        var otherDevice = app.CreateClient();
        await AccountForms.SignInAsync(otherDevice, email, "Passw0rd!");

        var wrong = await ChangePasswordAsync(client, "Not0mine!", "N3w-passw0rd");
        var changed = await ChangePasswordAsync(client, "Passw0rd!", "N3w-passw0rd");

        Assert.Contains("That is not your current password.", await wrong.Content.ReadAsStringAsync(Ct));
        Assert.Contains("data-testid=\"password-changed\"", await changed.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/settings", Ct)).StatusCode);
        Assert.Equal("/Account/Login", PathOf(await otherDevice.GetAsync("/settings", Ct)));
        Assert.Contains(Login.Refusal, await (await AccountForms.SignInAsync(app.CreateClient(), email, "Passw0rd!")).Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Redirect, (await AccountForms.SignInAsync(app.CreateClient(), email, "N3w-passw0rd")).StatusCode);
    }

    [Fact]
    public async Task Guessing_the_current_password_in_an_open_session_counts_as_at_sign_in()
    {
        var (client, _, email) = await SignedUpAsync("guesser");

        for (var attempt = 0; attempt < IdentityRules.MaxFailedSignIns; attempt++)
        {
            await ChangePasswordAsync(client, $"Guess{attempt}x!", "N3w-passw0rd");
        }
        var afterGuesses = await ChangePasswordAsync(client, "Passw0rd!", "N3w-passw0rd");

        Assert.Contains("Too many wrong passwords", await afterGuesses.Content.ReadAsStringAsync(Ct));
        var signInFromThere = await AccountForms.SignInAsync(app.CreateClient(), email, "Passw0rd!");
        Assert.Equal(HttpStatusCode.OK, signInFromThere.StatusCode);
        Assert.Contains(Login.Refusal, await signInFromThere.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task The_change_password_page_is_for_signed_in_people()
    {
        var response = await app.CreateClient().GetAsync("/Account/ChangePassword", Ct);

        Assert.Equal("/Account/Login", PathOf(response));
    }

    [Fact]
    public async Task An_admin_unlocks_an_account_locked_by_wrong_passwords_from_everywhere()
    {
        var (_, id, email) = await SignedUpAsync("unlock");
        for (var attempt = 0; attempt < IdentityRules.MaxFailedSignInsEverywhere; attempt++)
        {
            // Ten addresses, five guesses each: every address is shut out, and the account locks.
            await AccountForms.SignInAsync(app.CreateClient(from: $"203.0.113.{attempt % 10}"), email, "Wrong0ne!");
        }
        Assert.Contains(Login.Refusal, await (await AccountForms.SignInAsync(app.CreateClient(from: "198.51.100.1"), email, "Passw0rd!")).Content.ReadAsStringAsync(Ct));
        Assert.True((await Directory.ListAsync(TestUsers.AsAdmin(Guid.Empty), email, Ct)).Single().IsLockedOutAt(DateTimeOffset.UtcNow));

        Assert.Null(await Recovery.UnlockAsync(TestUsers.AsAdmin(Guid.Empty), id));

        Assert.Equal(HttpStatusCode.Redirect, (await AccountForms.SignInAsync(app.CreateClient(from: "203.0.113.3"), email, "Passw0rd!")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await AccountForms.SignInAsync(app.CreateClient(from: "198.51.100.1"), email, "Passw0rd!")).StatusCode);
    }

    [Fact]
    public async Task A_reset_link_sets_a_new_password_once_unlocks_and_is_audited_without_its_code()
    {
        var (session, id, email) = await SignedUpAsync("forgot");
        for (var attempt = 0; attempt < IdentityRules.MaxFailedSignIns; attempt++)
        {
            await AccountForms.SignInAsync(app.CreateClient(), email, "Wrong0ne!");
        }
        var (link, problem) = await Recovery.CreateResetLinkAsync(TestUsers.AsAdmin(Guid.Empty), id);
        Assert.Null(problem);
        var path = "/" + link!.On("").TrimStart('/');
        Assert.InRange(link.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromHours(23), TimeSpan.FromHours(24));

        var stranger = app.CreateClient();
        var weak = await SubmitAsync(stranger, path, "weak");
        var reset = await SubmitAsync(stranger, path, "Br4nd-new-pw");
        var again = await SubmitAsync(app.CreateClient(), path, "An0ther-pw!");
        var tampered = await SubmitAsync(app.CreateClient(), path.Replace("code=", "code=x", StringComparison.Ordinal), "An0ther-pw!");

        Assert.Contains("Passwords must", await weak.Content.ReadAsStringAsync(Ct));
        Assert.Contains("data-testid=\"password-reset\"", await reset.Content.ReadAsStringAsync(Ct));
        Assert.Contains("This link was already used or has expired.", await again.Content.ReadAsStringAsync(Ct));
        Assert.Contains("This link was already used or has expired.", await tampered.Content.ReadAsStringAsync(Ct));
        Assert.Equal("/Account/Login", PathOf(await session.GetAsync("/settings", Ct))); // the old session is over
        Assert.Equal(HttpStatusCode.Redirect, (await AccountForms.SignInAsync(app.CreateClient(), email, "Br4nd-new-pw")).StatusCode);

        var audited = await app.Services.GetRequiredService<AuditLog>().ListAsync(TestUsers.AsAdmin(Guid.Empty), new(Search: email), Ct);
        Assert.Contains(audited, e => e.Action == AuditActions.PasswordResetLinkCreated);
        Assert.Contains(audited, e => e.Action == AuditActions.PasswordReset);
        Assert.DoesNotContain(audited, e => e.Detail.Contains(link.Code, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_admin_api_makes_reset_links_and_unlocks_and_says_404_for_no_such_account()
    {
        var (_, id, email) = await SignedUpAsync("api-reset");
        var (adminId, adminKey) = await app.NewApiKeyAsync(scopes: [MrPrompt.Domain.ApiKeys.ApiKeyScopes.Admin]);
        await TestUsers.SetRoleAsync(app.Services, adminId, AppRoles.Admin);

        using var made = await app.PostJsonAsync($"/api/admin/users/{id}/password-reset-link", adminKey, "{}");
        using var unlocked = await app.PostJsonAsync($"/api/admin/users/{id}/unlock", adminKey, "{}");
        using var missing = await app.PostJsonAsync($"/api/admin/users/{Guid.NewGuid()}/password-reset-link", adminKey, "{}");

        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        var body = await made.Content.ReadAsStringAsync(Ct);
        Assert.Contains(email, body, StringComparison.Ordinal);
        Assert.Matches(ResetLink(), body);
        Assert.Equal(HttpStatusCode.NoContent, unlocked.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task An_admins_browser_changes_nothing_for_a_page_on_another_site()
    {
        var (admin, adminId, adminEmail) = await SignedUpAsync("cross-site-admin");
        await TestUsers.SetRoleAsync(app.Services, adminId, AppRoles.Admin);
        await AccountForms.SignInAsync(admin, adminEmail, "Passw0rd!"); // a sign-in that says Admin
        var (_, target, _) = await SignedUpAsync("cross-site-target");

        var fromSibling = await PostAsync(admin, $"/api/admin/users/{target}/unlock", "same-site");
        var fromElsewhere = await PostAsync(admin, $"/api/admin/users/{target}/password-reset-link", "cross-site");
        var fromItsPages = await PostAsync(admin, $"/api/admin/users/{target}/unlock", "same-origin");

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (fromSibling.StatusCode, fromElsewhere.StatusCode));
        Assert.Equal(HttpStatusCode.NoContent, fromItsPages.StatusCode);
        var audited = await app.Services.GetRequiredService<AuditLog>().ListAsync(TestUsers.AsAdmin(Guid.Empty), new(Action: AuditActions.PasswordResetLinkCreated), Ct);
        Assert.DoesNotContain(audited, e => e.TargetId == target);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string fetchSite)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Sec-Fetch-Site", fetchSite);
        return await client.SendAsync(request, Ct);
    }

    private static Task<HttpResponseMessage> ChangePasswordAsync(HttpClient client, string current, string next) =>
        AccountForms.SubmitAsync(client, "/Account/ChangePassword", new()
        {
            ["Input.CurrentPassword"] = current,
            ["Input.Password"] = next,
            ["Input.ConfirmPassword"] = next,
        });

    private static Task<HttpResponseMessage> SubmitAsync(HttpClient client, string path, string password) =>
        AccountForms.SubmitAsync(client, path, new()
        {
            ["Input.Password"] = password,
            ["Input.ConfirmPassword"] = password,
        });

    [GeneratedRegex("http://localhost/Account/ResetPassword\\?user=[0-9a-f-]{36}&code=[A-Za-z0-9_-]+")]
    private static partial Regex ResetLink();
}
