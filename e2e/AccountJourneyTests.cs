using Microsoft.Playwright;
using MrPrompt.E2E.Support;
using MrPrompt.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>A new installation, as its first users meet it in Chromium.</summary>
public sealed class AccountJourneyTests(Browser browser) : IAsyncLifetime
{
    private readonly AppServer _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task First_user_runs_the_place_edits_a_profile_and_a_second_user_is_plain()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);

        // The first account becomes Admin.
        await page.RegisterAsync("owner@example.com", "Passw0rd!");
        await Expect(page.Locator("[data-testid=nav-admin]")).ToBeVisibleAsync();

        await page.SignOutAsync();
        await Expect(page.Locator("[data-testid=nav-admin]")).ToHaveCountAsync(0);

        // A wrong password is explained; the right one signs in.
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#email", "owner@example.com");
        await page.FillAsync("#password", "Wrong0ne!");
        await page.ClickAsync("[data-testid=sign-in]");
        await Expect(page.Locator("[data-testid=form-error]")).ToHaveTextAsync(MrPrompt.Web.Components.Account.Pages.Login.Refusal);
        await page.SignInAsync("owner@example.com", "Passw0rd!");
        await Expect(page.Locator("[data-testid=welcome]")).ToBeVisibleAsync();
        Directory.CreateDirectory(Path.Combine(RepositoryRoot.Path, "docs", "images"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryRoot.Path, "docs", "images", "home.png") });

        // Edit the profile: a bad avatar address is refused next to its field, a good one is kept.
        await page.ClickAsync("a[href='settings']");
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=profile-role]")).ToHaveTextAsync("Admin");
        await page.FillAsync("#display-name", "Ada Lovelace");
        await page.FillAsync("#avatar-url", "javascript:alert(1)");
        await page.ClickAsync("[data-testid=save-profile]");
        await Expect(page.GetByText("Enter a full web address starting with http:// or https://.")).ToBeVisibleAsync();
        await page.FillAsync("#avatar-url", "https://example.com/ada.png");
        await page.ClickAsync("[data-testid=save-profile]");
        await Expect(page.GetByText("Profile saved.")).ToBeVisibleAsync();

        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=profile-display-name]")).ToHaveTextAsync("Ada Lovelace");
        await Expect(page.Locator("#avatar-url")).ToHaveValueAsync("https://example.com/ada.png");

        // The theme choice follows the user across reloads.
        await page.ClickAsync("[data-testid=theme-toggle]");
        await Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("aria-label", "Switch to light theme");
        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("aria-label", "Switch to light theme");
        await page.ClickAsync("[data-testid=theme-toggle]");
        await Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("aria-label", "Switch to dark theme");

        await page.SignOutAsync();

        // The second account is a plain User: no Admin entry, and the admin page is forbidden.
        await page.RegisterAsync("member@example.com", "Passw0rd!");
        await Expect(page.Locator("[data-testid=welcome]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=nav-admin]")).ToHaveCountAsync(0);
        await page.GotoAsync("/admin");
        await Expect(page.Locator("[data-testid=forbidden]")).ToBeVisibleAsync();
        await page.GotoAsync("/");
        await page.SignOutAsync();

        // The owner makes the member an Author, cannot demote the last Admin, and disables the member.
        await page.SignInAsync("owner@example.com", "Passw0rd!");
        await page.GotoAsync("/admin/users");
        await page.WaitForCircuitAsync();
        await page.ClickAsync("[data-testid='role-member@example.com'] button");
        await page.ClickAsync("[data-testid=make-Author]");
        await Expect(page.Locator("[data-testid='role-member@example.com'] button")).ToContainTextAsync("Author");
        await page.ClickAsync("[data-testid='role-owner@example.com'] button");
        await page.ClickAsync("[data-testid=make-User]");
        await Expect(page.Locator("[data-testid=admin-problem]")).ToContainTextAsync("This is the last Admin");
        await page.ClickAsync("[data-testid='disable-member@example.com']");
        await Expect(page.Locator("[data-testid='enable-member@example.com']")).ToBeVisibleAsync();
        await page.ClickAsync("[data-testid=admin-tab-providers]");
        await page.ClickAsync("[data-testid=test-echo]");
        await Expect(page.Locator("[data-testid=probe-echo]")).ToContainTextAsync("answered");
        await page.ClickAsync("[data-testid=admin-tab-audit]");
        await Expect(page.Locator("[data-testid=audit-log]")).ToContainTextAsync("member@example.com: User → Author");
        await Expect(page.Locator("[data-testid=audit-log]")).ToContainTextAsync("account_disabled");
        await page.SignOutAsync();

        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#email", "member@example.com");
        await page.FillAsync("#password", "Passw0rd!");
        await page.ClickAsync("[data-testid=sign-in]");
        // The same words as a wrong password: a stranger cannot learn which accounts exist or are disabled.
        await Expect(page.Locator("[data-testid=form-error]")).ToHaveTextAsync(MrPrompt.Web.Components.Account.Pages.Login.Refusal);
    }

    [Fact]
    public async Task A_role_change_reaches_an_open_page_and_a_reset_link_brings_a_locked_out_member_back()
    {
        var owner = await browser.NewPageAsync(_app.BaseUrl);
        await owner.RegisterAsync("boss@example.com", "Passw0rd!");
        await Expect(owner.Locator("[data-testid=welcome]")).ToHaveTextAsync("Welcome, boss");
        var member = await browser.NewPageAsync(_app.BaseUrl);
        await member.RegisterAsync("grace@example.com", "Passw0rd!");
        await Expect(member.Locator("[data-testid=user-name]")).ToHaveTextAsync("grace");
        await Expect(member.Locator("[data-testid=nav-admin]")).ToHaveCountAsync(0);

        // Promoted while the member's page is open: the page shows it at once, and a reload keeps it.
        await owner.GotoAsync("/admin/users");
        await owner.WaitForCircuitAsync();
        await owner.ClickAsync("[data-testid='role-grace@example.com'] button");
        await owner.ClickAsync("[data-testid=make-Admin]");
        await Expect(member.Locator("[data-testid=nav-admin]")).ToBeVisibleAsync();
        await member.ReloadAsync();
        await member.WaitForCircuitAsync();
        await Expect(member.Locator("[data-testid=nav-admin]")).ToBeVisibleAsync();
        await owner.ClickAsync("[data-testid='role-grace@example.com'] button");
        await owner.ClickAsync("[data-testid=make-User]");
        await Expect(member.Locator("[data-testid=nav-admin]")).ToHaveCountAsync(0);

        // Five wrong passwords shut this browser's address out, even with the right one; the owner hands over a reset link.
        await member.SignOutAsync();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await member.GotoAsync("/Account/Login");
            await member.FillAsync("#email", "grace@example.com");
            await member.FillAsync("#password", "Wrong0ne!");
            await member.ClickAsync("[data-testid=sign-in]");
        }
        await member.GotoAsync("/Account/Login");
        await member.FillAsync("#email", "grace@example.com");
        await member.FillAsync("#password", "Passw0rd!");
        await member.ClickAsync("[data-testid=sign-in]");
        await Expect(member.Locator("[data-testid=form-error]")).ToHaveTextAsync(MrPrompt.Web.Components.Account.Pages.Login.Refusal);
        await owner.ReloadAsync();
        await owner.WaitForCircuitAsync();
        await owner.ClickAsync("[data-testid='reset-grace@example.com']");
        var link = await owner.Locator("#reset-link-text").InputValueAsync();
        Assert.Contains("/Account/ResetPassword?user=", link, StringComparison.Ordinal);

        await member.GotoAsync(link);
        await member.FillAsync("#new-password", "N3w-passw0rd");
        await member.FillAsync("#confirm-password", "N3w-passw0rd");
        await member.ClickAsync("[data-testid=reset-password]");
        await Expect(member.Locator("[data-testid=password-reset]")).ToBeVisibleAsync();
        await member.SignInAsync("grace@example.com", "N3w-passw0rd");

        // A name and a picture that does not load: the top bar shows the name, and the initial instead of a broken image.
        await member.GotoAsync("/settings");
        await member.WaitForCircuitAsync();
        await member.FillAsync("#display-name", "Grace Hopper");
        await member.FillAsync("#avatar-url", _app.BaseUrl + "/no-such-picture.png");
        await member.ClickAsync("[data-testid=save-profile]");
        await Expect(member.Locator("[data-testid=user-name]")).ToHaveTextAsync("Grace Hopper");
        await Expect(member.Locator("[data-testid=user-menu] [data-testid=avatar-image]")).ToBeHiddenAsync();
        await Expect(member.Locator("[data-testid=user-menu] .mrp-avatar-initial")).ToHaveTextAsync("G");
        await member.ReloadAsync();
        await Expect(member.Locator("[data-testid=user-menu] [data-testid=avatar-image]")).ToBeHiddenAsync();

        // The member changes the password from the menu, and the old one no longer works.
        await member.WaitForCircuitAsync();
        await member.ClickAsync("[data-testid=user-menu] button");
        await member.ClickAsync("[data-testid=change-password-link]");
        await member.FillAsync("#current-password", "N3w-passw0rd");
        await member.FillAsync("#new-password", "Th1rd-passw0rd");
        await member.FillAsync("#confirm-password", "Th1rd-passw0rd");
        await member.ClickAsync("[data-testid=change-password]");
        await Expect(member.Locator("[data-testid=password-changed]")).ToBeVisibleAsync();
        await member.GotoAsync("/");
        await member.SignOutAsync();
        await member.SignInAsync("grace@example.com", "Th1rd-passw0rd");
        await Expect(member.Locator("[data-testid=welcome]")).ToHaveTextAsync("Welcome, Grace Hopper");
    }

    [Fact]
    public async Task Every_page_finds_all_it_loads()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);
        var missing = new List<string>();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && response.Url.StartsWith(_app.BaseUrl, StringComparison.Ordinal))
            {
                missing.Add($"{response.Status} {response.Url}");
            }
        };
        await page.RegisterAsync("assets@example.com", "Passw0rd!");
        foreach (var path in new[] { "/", "/chat", "/compare", "/prompts", "/settings", "/admin", "/Account/ChangePassword" })
        {
            await page.GotoAsync(path);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        }

        Assert.Empty(missing);
    }

    [Fact]
    public async Task At_phone_width_the_menu_opens_from_the_app_bar()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl, width: 390, height: 844);
        await page.RegisterAsync($"phone-{Guid.NewGuid():N}@example.com", "Passw0rd!");

        var settingsLink = page.Locator("a[href='settings']").First;
        await Expect(settingsLink).Not.ToBeInViewportAsync();
        await page.ClickAsync("[data-testid=nav-toggle]");
        await Expect(settingsLink).ToBeInViewportAsync();
        await settingsLink.ClickAsync();
        await Expect(page.Locator("[data-testid=profile-form]")).ToBeVisibleAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
    }
}
