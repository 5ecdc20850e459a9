using Microsoft.Playwright;

namespace MrPrompt.E2E.Support;

/// <summary>What a person does on MrPrompt's pages, in the browser.</summary>
public static class PageActions
{
    /// <summary>Blazor ignores clicks made before its circuit connects; the layout says when it has.</summary>
    public static Task WaitForCircuitAsync(this IPage page) =>
        page.Locator("[data-circuit=on]").WaitForAsync();

    public static async Task RegisterAsync(this IPage page, string email, string password)
    {
        await page.GotoAsync("/Account/Register");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.FillAsync("#confirm-password", password);
        await page.ClickAsync("[data-testid=register]");
        await page.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.Ordinal));
        await page.WaitForCircuitAsync();
    }

    public static async Task SignInAsync(this IPage page, string email, string password)
    {
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("[data-testid=sign-in]");
        await page.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.Ordinal));
        await page.WaitForCircuitAsync();
    }

    public static async Task OpenSettingsTabAsync(this IPage page, string tab)
    {
        await page.GotoAsync("/settings");
        await page.WaitForCircuitAsync();
        await page.Locator(".mud-tab", new() { HasText = tab }).ClickAsync();
    }

    /// <summary>Picks an entry of a MudSelect: open it, then click the option in its popover.</summary>
    public static async Task ChooseAsync(this IPage page, string selectTestId, string option)
    {
        await page.Locator($"[data-testid={selectTestId}]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = option }).First.ClickAsync();
    }

    /// <summary>
    /// Opens a MudBlazor tab. A click that lands while the page re-renders the tab strip (after a save, say)
    /// can reach a handler the render just replaced, and is dropped; a person clicks again, and so does this.
    /// </summary>
    public static async Task OpenTabAsync(this IPage page, string tab)
    {
        var header = page.Locator(".mud-tab", new() { HasText = tab });
        for (var attempt = 1; ; attempt++)
        {
            await header.ClickAsync();
            try
            {
                await Assertions.Expect(header).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-tab-active"), new() { Timeout = 5_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
            }
        }
    }

    public static async Task SignOutAsync(this IPage page)
    {
        await page.WaitForCircuitAsync();
        await page.ClickAsync("[data-testid=user-menu] button");
        await page.ClickAsync("[data-testid=sign-out]");
        await page.Locator("[data-testid=sign-in-link]").WaitForAsync();
    }
}
