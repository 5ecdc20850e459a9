using MrPrompt.Domain.Accounts;
using MrPrompt.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>An installation as shipped: open for its first account, then by invitation, in Chromium.</summary>
public sealed class InvitationJourneyTests(Browser browser) : IAsyncLifetime
{
    // Empty: the automatic mode, not the open registration the other journeys run with.
    private readonly AppServer _app = new(new Dictionary<string, string?> { ["Accounts:Registration"] = "" });

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_owner_invites_a_colleague_whose_link_works_once_and_strangers_are_told_to_ask()
    {
        var owner = await browser.NewPageAsync(_app.BaseUrl);
        await owner.RegisterAsync("owner@example.com", "Passw0rd!");

        // A stranger finds the registration page closed to them, with the reason.
        var stranger = await browser.NewPageAsync(_app.BaseUrl);
        await stranger.GotoAsync("/Account/Register");
        await Expect(stranger.Locator("[data-testid=registration-refused]")).ToHaveTextAsync(RegistrationRules.InviteOnlyMessage);
        await Expect(stranger.Locator("#password")).ToHaveCountAsync(0);

        // The owner makes a link for one colleague, as Author.
        await owner.GotoAsync("/admin/users");
        await owner.WaitForCircuitAsync();
        await Expect(owner.Locator("[data-testid=registration-mode]")).ToContainTextAsync("New accounts need an invitation");
        await owner.FillAsync("#invite-email", "linh@example.com");
        await owner.ChooseAsync("invite-role", "Author");
        await owner.ClickAsync("[data-testid=invite]");
        var link = await owner.Locator("#invitation-link-text").InputValueAsync();
        await Expect(owner.Locator("[data-testid=open-invitations]")).ToContainTextAsync("linh@example.com");

        // The colleague opens it: the address is filled in and fixed; a typo in the password is caught, then it works.
        var colleague = await browser.NewPageAsync(_app.BaseUrl);
        await colleague.GotoAsync(link);
        await Expect(colleague.Locator("#email")).ToHaveValueAsync("linh@example.com");
        await Expect(colleague.Locator("#email")).ToHaveAttributeAsync("readonly", "readonly");
        await colleague.FillAsync("#password", "Passw0rd!");
        await colleague.FillAsync("#confirm-password", "Passw0rd?");
        await colleague.ClickAsync("[data-testid=register]");
        await Expect(colleague.GetByText("The two passwords differ.")).ToBeVisibleAsync();
        await colleague.FillAsync("#password", "Passw0rd!");
        await colleague.FillAsync("#confirm-password", "Passw0rd!");
        await colleague.ClickAsync("[data-testid=register]");
        await colleague.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.Ordinal));
        await colleague.WaitForCircuitAsync();
        await Expect(colleague.Locator("[data-testid=user-name]")).ToHaveTextAsync("linh");

        // Used up: the same link now says so, and the owner's list is empty after a reload.
        await stranger.GotoAsync(link);
        await Expect(stranger.Locator("[data-testid=registration-refused]")).ToHaveTextAsync(RegistrationRules.InvitationGoneMessage);
        await owner.ReloadAsync();
        await owner.WaitForCircuitAsync();
        await Expect(owner.Locator("[data-testid='role-linh@example.com']")).ToContainTextAsync("Author");
        await Expect(owner.Locator("[data-testid=open-invitations]")).ToHaveCountAsync(0);

        // A link for whoever gets it, withdrawn before use, does nothing.
        await owner.ClickAsync("[data-testid=invite]");
        var spare = await owner.Locator("#invitation-link-text").InputValueAsync();
        await owner.ClickAsync("[data-testid=withdraw-invitation]");
        await Expect(owner.Locator("[data-testid=open-invitations]")).ToHaveCountAsync(0);
        await stranger.GotoAsync(spare);
        await Expect(stranger.Locator("[data-testid=registration-refused]")).ToHaveTextAsync(RegistrationRules.InvitationGoneMessage);
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
    }
}
