using System.Net;
using System.Net.Http.Headers;
using MrPrompt.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>A user makes a key for a program in Settings, the program uses it, and revoking it locks the program out.</summary>
public sealed class PersonalKeyJourneyTests(Browser browser) : IAsyncLifetime
{
    private AppServer _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new AppServer();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_key_is_shown_once_works_for_a_program_and_stops_when_revoked()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);
        await page.RegisterAsync("programmer@example.com", "Passw0rd!");
        await page.OpenSettingsTabAsync("API keys");
        await page.FillAsync("#personal-key-name", "nightly report");
        await page.ClickAsync("[data-testid=create-personal-key]");

        var secret = (await page.Locator("[data-testid=new-personal-key-secret]").TextContentAsync())!.Trim();
        Assert.StartsWith("mrp_", secret, StringComparison.Ordinal);
        await Expect(page.Locator("[data-testid=personal-key]")).ToContainTextAsync("nightly report");
        await Expect(page.Locator("[data-testid=personal-keys]")).Not.ToContainTextAsync(secret);

        using var program = new HttpClient { BaseAddress = new Uri(_app.BaseUrl) };
        program.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await program.GetAsync("/api/prompts", TestContext.Current.CancellationToken)).StatusCode);

        await page.ClickAsync("[data-testid=revoke-personal-key]");
        await page.ClickAsync("[data-testid=confirm]");
        await Expect(page.Locator("[data-testid=personal-key]")).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, (await program.GetAsync("/api/prompts", TestContext.Current.CancellationToken)).StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
    }
}
