using MrPrompt.E2E.Support;
using MrPrompt.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>Bringing your own key and getting a streamed answer from it, in Chromium.</summary>
public sealed class ProviderKeysJourneyTests(Browser browser) : IAsyncLifetime
{
    private AppServer _app = null!;
    private FakeProviderServer _upstream = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await FakeProviderServer.StartAsync();
        // A key typed in the browser may reach this one private address: the fake upstream's.
        _app = new AppServer(new Dictionary<string, string?> { ["Gateway:AllowedPrivateHosts"] = _upstream.Authority });
    }

    [Fact]
    public async Task A_new_install_answers_at_once_with_the_offline_echo_model()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);
        await page.RegisterAsync("echo@example.com", "Passw0rd!");

        await page.OpenSettingsTabAsync("Models");
        await Expect(page.Locator("[data-testid=tryout-model]")).ToContainTextAsync("Echo (offline demo)");
        await page.FillAsync("#tryout-prompt", "hello from a fresh install");
        await page.ClickAsync("[data-testid=tryout-send]");

        await Expect(page.Locator("[data-testid=tryout-output]")).ToHaveTextAsync("hello from a fresh install");
        await Expect(page.Locator("[data-testid=tryout-stats]")).ToContainTextAsync("echo/echo");
    }

    [Fact]
    public async Task An_own_key_is_checked_saved_and_streams_an_answer_with_tokens_and_cost()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);
        await page.RegisterAsync("keys@example.com", "Passw0rd!");
        await page.OpenSettingsTabAsync("Provider keys");

        await page.ChooseAsync("key-provider", "Custom (OpenAI-compatible)");
        // Choosing resets the name on the server; typing before that render arrives would be undone.
        await Expect(page.Locator("#key-base-url")).ToBeVisibleAsync();
        await page.FillAsync("#key-name", "Local vLLM");
        await page.FillAsync("#key-base-url", _upstream.OpenAIBaseUrl);
        await page.FillAsync("#key-secret", "sk-wrong-key-00000000");
        await page.ClickAsync("[data-testid=save-key]");
        await Expect(page.GetByText("Local vLLM rejected this key.")).ToBeVisibleAsync();

        await page.FillAsync("#key-secret", FakeProviderServer.ValidKey);
        await page.ClickAsync("[data-testid=save-key]");
        await Expect(page.Locator("[data-testid=key-hint]")).ToHaveTextAsync("…abcd");
        await Expect(page.Locator("[data-testid=keys]")).Not.ToContainTextAsync(FakeProviderServer.ValidKey);

        await page.Locator(".mud-tab", new() { HasText = "Models" }).ClickAsync();
        await page.ChooseAsync("tryout-model", "Local vLLM · gpt-4o-mini");
        await page.FillAsync("#tryout-prompt", "What are the best pizza toppings?");
        await page.ClickAsync("[data-testid=tryout-send]");

        var expected = ProviderFixtures.OpenAIStreamText();
        await Expect(page.Locator("[data-testid=tryout-output]")).ToContainTextAsync(expected[..60]);
        await Expect(page.Locator("[data-testid=tryout-stats]")).ToContainTextAsync("22 in · 712 out");
        await Expect(page.Locator("[data-testid=tryout-stats]")).ToContainTextAsync("$0.000431");
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
