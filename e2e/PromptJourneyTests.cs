using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MrPrompt.Domain.Prompts;
using MrPrompt.E2E.Support;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>Prompt authors in Chromium: create, edit, diff, label, try in the playground, use in chat; and who sees what.</summary>
public sealed class PromptJourneyTests(Browser browser) : IAsyncLifetime
{
    private AppServer _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new AppServer(new Dictionary<string, string?> { ["Chat:GenerateTitles"] = "false" });
        return ValueTask.CompletedTask;
    }

    private static async Task SaveTemplateAsync(IPage page, string template, string note, int expectedNext)
    {
        await page.FillAsync("#prompt-template", template);
        await page.FillAsync("#prompt-note", note);
        await page.ClickAsync("[data-testid=save-version]");
        await Expect(page.Locator("[data-testid=save-version]")).ToHaveTextAsync($"Save as version {expectedNext}");
    }

    [Fact]
    public async Task An_author_creates_edits_diffs_labels_tries_and_uses_a_prompt_in_chat()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);
        await page.RegisterAsync("author@example.com", "Passw0rd!");
        await page.GotoAsync("/prompts");
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=prompt-row-echo-test]")).ToBeVisibleAsync();

        // Create: version 1.
        await page.ClickAsync("[data-testid=new-prompt]");
        await page.WaitForCircuitAsync();
        await page.FillAsync("#prompt-title", "Trip planner");
        await Expect(page.Locator("#prompt-key")).ToHaveAttributeAsync("placeholder", "trip-planner"); // left empty: the key comes from the title
        // A template error is explained where it is, and nothing is created.
        await page.FillAsync("#prompt-template", "Plan a day in {{city.");
        await page.ClickAsync("[data-testid=create-prompt]");
        await Expect(page.Locator("[data-testid=prompt-error]")).ToContainTextAsync("Nothing was saved");
        await Expect(page.GetByText("Line 1, column 15: '{{' is never closed")).ToBeVisibleAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/prompts/new$"));

        await page.FillAsync("#prompt-template", "Plan a day in {{city}}.");
        await page.ClickAsync("[data-testid=create-prompt]");
        await Expect(page).ToHaveURLAsync(new Regex("/prompts/[0-9a-f-]{36}$"));
        await Expect(page.Locator("[data-testid=prompt-key]")).ToHaveTextAsync("trip-planner");

        // Edit twice: versions 2 and 3.
        await SaveTemplateAsync(page, "Plan a weekend in {{city}}.", "Weekend", 3);
        await SaveTemplateAsync(page, "Plan a weekend in {{city}} for {{who | default: 'two'}}.", "For whom", 4);

        // Label version 2 production.
        await page.OpenTabAsync("History");
        await Expect(page.Locator("[data-testid^=version-]")).ToHaveCountAsync(3);
        await Expect(page.Locator("[data-testid=version-2]")).ToContainTextAsync("Weekend");
        await page.ChooseAsync("label-version", "Version 2");
        await page.ClickAsync("[data-testid=move-label]");
        await Expect(page.Locator("[data-testid=version-2] [data-testid=label-production]")).ToBeVisibleAsync();

        // The diff opens on what the last save changed (2 against 3), with the changed words marked.
        await page.OpenTabAsync("Diff");
        await Expect(page.Locator("[data-testid=diff-left]")).ToContainTextAsync("Version 2");
        await Expect(page.Locator("[data-testid=diff-right]")).ToContainTextAsync("Version 3");
        await Expect(page.Locator("[data-testid=diff-right-pane] .mrp-diff-word-inserted")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid=diff-right-pane] .mrp-diff-modified")).ToContainTextAsync("Plan a weekend in {{city}} for {{who | default: 'two'}}.");
        await Expect(page.GetByText("These versions are the same.")).ToHaveCountAsync(0);

        // Diff versions 1 and 3 side by side.
        await page.ChooseAsync("diff-left", "Version 1");
        await page.ChooseAsync("diff-right", "Version 3");
        await Expect(page.Locator("[data-testid=diff-left-pane] .mrp-diff-modified, [data-testid=diff-left-pane] .mrp-diff-deleted"))
            .ToContainTextAsync("Plan a day in {{city}}.");
        await Expect(page.Locator("[data-testid=diff-right-pane] .mrp-diff-modified, [data-testid=diff-right-pane] .mrp-diff-inserted"))
            .ToContainTextAsync("for {{who | default: 'two'}}");
        Directory.CreateDirectory(Path.Combine(RepositoryRoot.Path, "docs", "images"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryRoot.Path, "docs", "images", "prompt-diff.png") });

        // The playground runs the production version by default and shows the rendered prompt.
        await page.OpenTabAsync("Playground");
        await page.ChooseAsync("play-model", "Echo (offline demo)");
        await page.FillAsync("#play-var-city", "Lisbon");
        await page.ClickAsync("[data-testid=play-run]");
        await Expect(page.Locator("[data-testid=play-a-user]")).ToHaveTextAsync("Plan a weekend in Lisbon.");
        await Expect(page.Locator("[data-testid=play-a-output]")).ToHaveTextAsync("Plan a weekend in Lisbon.");
        await Expect(page.Locator("[data-testid=play-a-stats]")).ToContainTextAsync("echo/echo");
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryRoot.Path, "docs", "images", "prompt-playground.png") });

        // In chat, "/" opens the picker; the production version's variables become a form.
        await page.GotoAsync("/chat");
        await page.WaitForCircuitAsync();
        await page.ChooseAsync("chat-model", "Echo (offline demo)");
        // Typing on after the "/" searches: only the prompt named remains, and the prompt that names chats never shows.
        // (A person sees the picker open before typing on; keystrokes fired faster than the server's round trip race
        // the search box's own re-render, which no typist meets.)
        await page.Locator("#chat-input").PressSequentiallyAsync("/");
        await Expect(page.Locator("#prompt-picker-search")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("trip");
        await Expect(page.Locator("#prompt-picker-search")).ToHaveValueAsync("trip");
        await Expect(page.Locator("[data-testid^=pick-]:not([data-testid^=pick-var]):not([data-testid=pick-send])")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid=pick-echo-test]")).ToHaveCountAsync(0);
        await page.Locator("#prompt-picker-search").FillAsync("");
        await Expect(page.Locator("[data-testid=pick-echo-test]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=pick-chat-title]")).ToHaveCountAsync(0);
        await page.Locator("#prompt-picker-search").PressSequentiallyAsync("Trip pl");
        // The list settles on its last keystroke before the click: a click on a row a later keystroke re-renders is lost.
        await Expect(page.Locator("#prompt-picker-search")).ToHaveValueAsync("Trip pl");
        await Expect(page.Locator("[data-testid^=pick-]:not([data-testid^=pick-var]):not([data-testid=pick-send])")).ToHaveCountAsync(1);
        await page.ClickAsync("[data-testid=pick-trip-planner]");
        await Expect(page.Locator("[data-testid=pick-version]")).ToContainTextAsync("Version 2");
        await page.FillAsync("#pick-var-city", "Porto");
        await Expect(page.Locator("[data-testid=pick-preview]")).ToHaveTextAsync("Plan a weekend in Porto.");
        await page.ClickAsync("[data-testid=pick-send]");

        var question = page.Locator("[data-testid=message][data-sender=user]");
        await Expect(question.Locator("[data-testid=message-text]")).ToHaveTextAsync("Plan a weekend in Porto.");
        await Expect(question.Locator("[data-testid=message-prompt]")).ToContainTextAsync("trip-planner · v2");
        await Expect(page.Locator("[data-testid=message][data-sender=assistant] [data-testid=message-meta]")).ToContainTextAsync("echo/echo");
        await Expect(page.Locator("#chat-input")).ToHaveValueAsync("");
    }

    [Fact]
    public async Task Others_see_public_prompts_read_only_and_duplicate_them_but_never_see_private_ones()
    {
        var owner = await browser.NewPageAsync(_app.BaseUrl);
        await owner.RegisterAsync("owner@example.com", "Passw0rd!"); // the first account is an admin, who may publish
        Guid ownerId;
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            ownerId = (await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync("owner@example.com"))!.Id;
        }
        var editor = _app.Services.GetRequiredService<PromptEditor>();
        var content = new PromptContent("", "Review this code: {{code}}");
        Guid shared, secret;
        using (DataScope.ForUser(ownerId)) // the owner's own writes, as their pages would make them
        {
            shared = (await editor.CreateAsync(ownerId, new PromptDetails("code-review", "Code review", "Reviews code.", ["dev"], PromptVisibility.Public), content, cancellationToken: TestContext.Current.CancellationToken)).Value;
            secret = (await editor.CreateAsync(ownerId, new PromptDetails("secret-plan", "Secret plan", "", [], PromptVisibility.Private), content, cancellationToken: TestContext.Current.CancellationToken)).Value;
        }

        var reader = await browser.NewPageAsync(_app.BaseUrl);
        await reader.RegisterAsync("reader@example.com", "Passw0rd!");
        await reader.GotoAsync("/prompts");
        await reader.WaitForCircuitAsync();
        await Expect(reader.Locator("[data-testid=prompt-row-code-review]")).ToBeVisibleAsync();
        await Expect(reader.Locator("[data-testid=prompt-row-secret-plan]")).ToHaveCountAsync(0);

        await reader.GotoAsync($"/prompts/{secret}");
        await Expect(reader.Locator("[data-testid=not-found]")).ToBeVisibleAsync();

        await reader.GotoAsync($"/prompts/{shared}");
        await reader.WaitForCircuitAsync();
        await Expect(reader.Locator("[data-testid=content-template]")).ToHaveTextAsync("Review this code: {{code}}");
        await Expect(reader.Locator("[data-testid=save-version]")).ToHaveCountAsync(0);
        await reader.ClickAsync("[data-testid=duplicate]");
        await Expect(reader).Not.ToHaveURLAsync(new Regex(shared.ToString()));
        await Expect(reader.Locator("[data-testid=save-version]")).ToBeVisibleAsync();
        await Expect(reader.Locator("#prompt-key")).ToHaveValueAsync("code-review");
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
    }
}
