using System.Text;
using Microsoft.Playwright;
using MrPrompt.E2E.Support;
using MrPrompt.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>
/// Knowledge as people use it: a collection made on its page, a file uploaded and text pasted (non-ASCII), both ingested
/// with the page following along, a search, a reload; then a chat that searches the collection, whose answers show
/// numbered sources that open the passage, over two turns and after a reload; and a second account that cannot see it.
/// </summary>
public sealed class KnowledgeJourneyTests(Browser browser) : IAsyncLifetime
{
    private const string Handbook = """
        # Orchard handbook

        The orchard opens at dawn and closes at dusk.

        ## Pruning

        Apple trees are pruned in late winter, before the buds swell.

        ## Harvest

        Pears are picked while still firm and ripen indoors.
        """;

    private AppServer _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new AppServer(new Dictionary<string, string?> { ["Chat:GenerateTitles"] = "false", ["Gateway:EchoWordDelayMilliseconds"] = "5" });
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_collection_is_filled_searched_and_cited_in_a_chat_and_stays_private()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl, width: 1280, height: 1000);
        await page.RegisterAsync("reader@example.com", "Passw0rd!");
        await page.GotoAsync("/knowledge");
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=no-collections]")).ToBeVisibleAsync();

        await page.FillAsync("#new-collection-name", "Orchard & café");
        await page.ClickAsync("[data-testid=create-collection]");
        await Expect(page.Locator("[data-testid=collection-name]")).ToHaveTextAsync("Orchard & café");
        var collectionUrl = page.Url;

        await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "handbook.md",
            MimeType = "text/markdown",
            Buffer = Encoding.UTF8.GetBytes(Handbook),
        });
        await page.FillAsync("#paste-title", "Café notes");
        await page.FillAsync("#paste-text", "# Café\n\nThe espresso machine is descaled every Friday — Grüße an das Team, 東京オフィスも同じ。");
        await page.ClickAsync("[data-testid=add-text]");

        var documents = page.Locator("[data-testid=document]");
        await Expect(documents).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=document][data-status=ready]")).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        await Expect(documents.Filter(new() { HasText = "handbook.md" })).ToContainTextAsync("3 passages");

        await page.FillAsync("#knowledge-query", "how often is the coffee machine cleaned");
        await page.ClickAsync("[data-testid=search]");
        await Expect(page.Locator("[data-testid=search-hit]").First).ToContainTextAsync("descaled every Friday");

        await page.ReloadAsync(); // opened again by its address: the same documents, ready
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=document][data-status=ready]")).ToHaveCountAsync(2);

        // A chat that searches the collection (Echo answers; the sources are what the answer was given to cite).
        await page.GotoAsync("/chat");
        await page.WaitForCircuitAsync();
        await OpenAsync(page, "chat-knowledge");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Orchard & café" }).First.ClickAsync();
        // A multi-select stays open for more picks; a click beside it closes it, as a person does.
        await page.Mouse.ClickAsync(1200, 950);
        await Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid=chat-knowledge] input, input[data-testid=chat-knowledge]").First).ToHaveValueAsync("Orchard & café");
        await page.FillAsync("#chat-input", "When should apple trees be pruned?");
        await page.ClickAsync("[data-testid=send]");
        var answers = page.Locator("[data-testid=message][data-sender=assistant]");
        await Expect(answers.First).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });
        var firstSources = answers.First.Locator("[data-testid=citation]");
        await Expect(firstSources.First).ToContainTextAsync("[1] handbook");
        await firstSources.First.ClickAsync();
        await Expect(answers.First.Locator("[data-testid=citation-passage]")).ToContainTextAsync("Apple trees are pruned in late winter");

        // The new chat has its own address now; a person types on once the page shows it.
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/chat/[0-9a-f-]{36}$"));
        await Expect(page.Locator("#chat-input")).ToBeEditableAsync();
        await page.FillAsync("#chat-input", "And when are pears picked?");
        await page.ClickAsync("[data-testid=send]");
        await Expect(answers).ToHaveCountAsync(2);
        await Expect(answers.Nth(1)).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });
        await answers.Nth(1).Locator("[data-testid=citation]").First.ClickAsync();
        await Expect(answers.Nth(1).Locator("[data-testid=citation-passage]")).ToContainTextAsync("Pears are picked while still firm");
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryRoot.Path, "docs", "images", "knowledge-chat.png") });

        await page.ReloadAsync(); // the chat by its address: both answers keep their sources
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=message][data-sender=assistant] [data-testid=citations]")).ToHaveCountAsync(2);
        await page.GotoAsync(collectionUrl);
        await page.WaitForCircuitAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryRoot.Path, "docs", "images", "knowledge.png") });

        // Another account: the collection is not in its list, and its address shows nothing of it.
        var stranger = await browser.NewPageAsync(_app.BaseUrl);
        await stranger.RegisterAsync("stranger@example.com", "Passw0rd!");
        await stranger.GotoAsync(collectionUrl);
        await stranger.WaitForCircuitAsync();
        await Expect(stranger.Locator("[data-testid=collection-not-found]")).ToBeVisibleAsync();
        await Expect(stranger.Locator("[data-testid=collection]")).ToHaveCountAsync(0);
    }

    /// <summary>Opens a select's list; a click that lands while the page is still becoming live is dropped, and a person clicks again.</summary>
    private static async Task OpenAsync(IPage page, string selectTestId)
    {
        for (var attempt = 1; ; attempt++)
        {
            await page.Locator($"[data-testid={selectTestId}]").ClickAsync();
            try
            {
                await Expect(page.Locator(".mud-popover-open .mud-list-item").First).ToBeVisibleAsync(new() { Timeout = 5_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
    }
}
