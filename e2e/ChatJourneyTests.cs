using Microsoft.Playwright;
using MrPrompt.E2E.Support;
using MrPrompt.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>Chatting in Chromium: live tokens, stop, regenerate, edit, reload mid-answer, and compare.</summary>
public sealed class ChatJourneyTests(Browser browser) : IAsyncLifetime
{
    private FakeProviderServer _upstream = null!;
    private AppServer _app = null!;

    private ILocator Answers(IPage page) => page.Locator("[data-testid=message][data-sender=assistant]");

    public async ValueTask InitializeAsync()
    {
        _upstream = await FakeProviderServer.StartAsync();
        _app = new AppServer(new Dictionary<string, string?>
        {
            ["Providers:openai:Kind"] = "OpenAI",
            ["Providers:openai:BaseUrl"] = _upstream.OpenAIBaseUrl,
            ["Providers:openai:ApiKey"] = FakeProviderServer.ValidKey,
            ["Providers:openai:Models:0"] = "gpt-4o-mini",
            ["Providers:anthropic:Kind"] = "Anthropic",
            ["Providers:anthropic:BaseUrl"] = _upstream.BaseUrl,
            ["Providers:anthropic:ApiKey"] = FakeProviderServer.ValidKey,
            ["Providers:anthropic:Models:0"] = "claude-3-opus-latest",
            ["Providers:broken:Kind"] = "OpenAICompatible",
            ["Providers:broken:DisplayName"] = "Broken",
            ["Providers:broken:BaseUrl"] = _upstream.OpenAIBaseUrl,
            ["Providers:broken:ApiKey"] = "sk-revoked-key-000000000000",
            ["Providers:broken:Models:0"] = "gpt-4o-mini",
            ["Chat:GenerateTitles"] = "false",
            // A two-page PDF is then longer than what goes whole with a message: it is searched and cited.
            ["Chat:InlineAttachmentCharacters"] = "100",
        });
    }

    private async Task<IPage> OpenChatAsync(string email)
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);
        await page.RegisterAsync(email, "Passw0rd!");
        await page.GotoAsync("/chat");
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=chat-model]")).ToBeVisibleAsync();
        return page;
    }

    [Fact]
    public async Task A_new_user_chats_with_echo_at_once_and_enter_sends_while_shift_enter_adds_a_line()
    {
        var page = await OpenChatAsync("echo-chat@example.com");
        await page.ChooseAsync("chat-model", "Echo (offline demo)");

        var input = page.Locator("#chat-input");
        await input.FillAsync("Hello echo, this answer arrives word by word");
        await input.PressAsync("Shift+Enter");
        await input.PressSequentiallyAsync("second line");
        await input.PressAsync("Enter");

        // The answer is written live, then settles with its accounting.
        await Expect(Answers(page).Locator("[data-testid=stop]")).ToBeVisibleAsync();
        await Expect(Answers(page).Last).ToContainTextAsync("second line");
        await Expect(Answers(page).Last.Locator("[data-testid=message-meta]")).ToContainTextAsync("echo/echo");
        await Expect(page.Locator("[data-testid=message][data-sender=user]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("Hello echo, this answer arrives word by word\\s*second line"));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/chat/[0-9a-f-]{36}$"));
        await Expect(page.Locator("[data-testid=session]")).ToHaveCountAsync(1);
        await Expect(page.Locator("#chat-input")).ToHaveValueAsync("");
    }

    [Fact]
    public async Task Stop_keeps_the_partial_answer_then_regenerate_and_edit_start_new_branches()
    {
        var page = await OpenChatAsync("stop@example.com");
        await page.ChooseAsync("chat-model", "openai · gpt-4o-mini");
        var full = ProviderFixtures.OpenAIStreamText();

        _upstream.ChunkDelay = TimeSpan.FromMilliseconds(30);
        await page.FillAsync("#chat-input", "Pizza toppings?");
        await page.ClickAsync("[data-testid=send]");
        await Expect(Answers(page).Last).ToContainTextAsync(full[..20]);
        await page.ClickAsync("[data-testid=stop]");
        await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "cancelled");
        await Expect(Answers(page).Last.Locator("[data-testid=message-note]")).ToContainTextAsync("Stopped");

        _upstream.ChunkDelay = TimeSpan.Zero;
        await Answers(page).Last.HoverAsync();
        await page.ClickAsync("[data-testid=regenerate]");
        await Expect(Answers(page)).ToHaveCountAsync(1);
        await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "complete");
        await Expect(Answers(page).Last.Locator("[data-testid=message-meta]")).ToContainTextAsync("22 in · 712 out");
        Directory.CreateDirectory(Path.Combine(RepositoryRoot.Path, "docs", "images"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryRoot.Path, "docs", "images", "chat.png") });

        var question = page.Locator("[data-testid=message][data-sender=user]");
        await question.HoverAsync();
        await question.Locator("[data-testid=edit]").ClickAsync();
        await page.FillAsync("#edit-input", "Pasta shapes?");
        await page.ClickAsync("[data-testid=edit-send]");
        await Expect(question.Locator("[data-testid=message-text]")).ToHaveTextAsync("Pasta shapes?");
        await Expect(question.Locator("[data-testid=branch-position]")).ToHaveTextAsync("2 / 2");
        await Expect(page.Locator("[data-testid=message]")).ToHaveCountAsync(2);
        await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "complete");
    }

    [Fact]
    public async Task An_image_is_described_by_a_vision_model_and_a_pdf_is_cited_and_both_stay_after_a_reload()
    {
        var page = await OpenChatAsync("attach@example.com");
        // The upload keeps a fresh input for the next pick after each one: the newest is the live one.
        var fileInput = page.Locator(".mrp-composer-files input[type=file]").Last;

        // Echo cannot see: the image is refused with the reason, and stays in the composer for another model.
        await page.ChooseAsync("chat-model", "Echo (offline demo)");
        await fileInput.SetInputFilesAsync(new FilePayload { Name = "dot.png", MimeType = "image/png", Buffer = KnowledgeFiles.Png });
        await Expect(page.Locator("[data-testid=attachment-chip]")).ToHaveTextAsync(["dot.png"]);
        await page.FillAsync("#chat-input", "What is in this picture?");
        await page.ClickAsync("[data-testid=send]");
        await Expect(page.Locator("[data-testid=chat-problem]")).ToContainTextAsync("echo/echo cannot see images");
        await Expect(page.Locator("[data-testid=attachment-chip]")).ToHaveCountAsync(1);

        await page.ChooseAsync("chat-model", "openai · gpt-4o-mini");
        await page.ClickAsync("[data-testid=send]");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/chat/[0-9a-f-]{36}$"));
        await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "complete");
        await Expect(page.Locator("[data-testid=attachment-chip]")).ToHaveCountAsync(0);
        var sent = System.Text.Json.Nodes.JsonNode.Parse(_upstream.Requests.Last(r => r.IsChat).Body!)!["messages"]![0]!["content"]!.AsArray();
        Assert.Equal("What is in this picture?", sent[0]!["text"]!.GetValue<string>());
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(KnowledgeFiles.Png), sent[1]!["image_url"]!["url"]!.GetValue<string>());
        var thumbnail = page.Locator("[data-testid=attachment-image]");
        await Expect(thumbnail).ToHaveCountAsync(1);
        await Expect(thumbnail).ToHaveJSPropertyAsync("naturalWidth", 1); // loaded from its address, for its owner

        // A PDF longer than what goes whole: read into the chat's own knowledge, then cited.
        string[] pages =
        [
            "The lighthouse keeper logs the weather at dawn and dusk every single day of the year.",
            "Storm lanterns are refilled with paraffin on the first Monday of each month without fail.",
        ];
        await fileInput.SetInputFilesAsync(new FilePayload { Name = "keeper.pdf", MimeType = "application/pdf", Buffer = KnowledgeFiles.Pdf(pages) });
        await page.FillAsync("#chat-input", "When are the storm lanterns refilled?");
        await page.ClickAsync("[data-testid=send]");
        await Expect(Answers(page)).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "complete");
        var citations = Answers(page).Last.Locator("[data-testid=citation]");
        await Expect(citations.First).ToBeVisibleAsync();
        await citations.Filter(new() { HasText = "keeper.pdf" }).First.ClickAsync();
        await Expect(Answers(page).Last.Locator("[data-testid=citation-passage]")).ToContainTextAsync("paraffin on the first Monday");

        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=attachment-image]")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid=attachment-document]")).ToHaveTextAsync(["keeper.pdf"]);

        // A file dropped on the composer lands there as if picked.
        await page.Locator("[data-testid=composer]").EvaluateAsync("""
            composer => {
                const transfer = new DataTransfer();
                transfer.items.add(new File(["Dropped notes — Grüße"], "dropped.md", { type: "text/markdown" }));
                composer.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            }
            """);
        await Expect(page.Locator("[data-testid=attachment-chip]")).ToHaveTextAsync(["dropped.md"]);
    }

    [Fact]
    public async Task Regenerate_twice_move_between_three_answers_and_continue_on_the_second()
    {
        _upstream.NumberStreamedAnswers = true;
        var page = await OpenChatAsync("branches@example.com");
        await page.ChooseAsync("chat-model", "openai · gpt-4o-mini");
        await page.FillAsync("#chat-input", "Name a colour — «ünïcödé» welcome");
        await page.ClickAsync("[data-testid=send]");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/chat/[0-9a-f-]{36}$"));
        var answerText = Answers(page).Last.Locator("[data-testid=message-text]");
        await Expect(answerText).ToContainTextAsync("Answer 1:");
        await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "complete");

        for (var again = 2; again <= 3; again++)
        {
            await Answers(page).Last.Locator("[data-testid=regenerate]").ClickAsync();
            await Expect(answerText).ToContainTextAsync($"Answer {again}:");
            await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "complete");
            await Expect(Answers(page).Last.Locator("[data-testid=branch-position]")).ToHaveTextAsync($"{again} / {again}");
        }
        await Expect(Answers(page)).ToHaveCountAsync(1);

        // Back to the first, forward to the second; a reload keeps the one chosen.
        await page.ClickAsync("[data-testid=branch-previous]");
        await Expect(Answers(page).Last.Locator("[data-testid=branch-position]")).ToHaveTextAsync("2 / 3");
        await Expect(answerText).ToContainTextAsync("Answer 2:");
        await page.ClickAsync("[data-testid=branch-previous]");
        await Expect(answerText).ToContainTextAsync("Answer 1:");
        await Expect(page.Locator("[data-testid=branch-previous]")).ToBeDisabledAsync();
        await page.ClickAsync("[data-testid=branch-next]");
        await Expect(Answers(page).Last.Locator("[data-testid=branch-position]")).ToHaveTextAsync("2 / 3");
        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await Expect(answerText).ToContainTextAsync("Answer 2:");

        // The next question continues branch 2: the model gets branch 2's answer as the history.
        await page.FillAsync("#chat-input", "Why that one?");
        await page.ClickAsync("[data-testid=send]");
        await Expect(Answers(page)).ToHaveCountAsync(2);
        await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "complete");
        var sent = System.Text.Json.Nodes.JsonNode.Parse(_upstream.Requests.Last(r => r.IsChat).Body!)!["messages"]!.AsArray()
            .Select(m => m!["content"]!.GetValue<string>()).ToList();
        Assert.Equal(3, sent.Count);
        Assert.Equal("Name a colour — «ünïcödé» welcome", sent[0]);
        Assert.StartsWith("Answer 2:", sent[1], StringComparison.Ordinal);
        Assert.Equal("Why that one?", sent[2]);

        // Branch 3 has no follow-up; back on branch 2, it is there.
        await page.Locator("[data-testid=branch-next]").First.ClickAsync();
        await Expect(Answers(page)).ToHaveCountAsync(1);
        await Expect(answerText).ToContainTextAsync("Answer 3:");
        await page.Locator("[data-testid=branch-previous]").First.ClickAsync();
        await Expect(Answers(page)).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=message][data-sender=user]").Last.Locator("[data-testid=message-text]")).ToHaveTextAsync("Why that one?");
    }

    [Fact]
    public async Task Reloading_mid_answer_finds_the_answer_completed()
    {
        var page = await OpenChatAsync("reload@example.com");
        await page.ChooseAsync("chat-model", "openai · gpt-4o-mini");
        var full = ProviderFixtures.OpenAIStreamText();

        _upstream.ChunkDelay = TimeSpan.FromMilliseconds(8);
        await page.FillAsync("#chat-input", "Tell me everything");
        await page.ClickAsync("[data-testid=send]");
        await Expect(Answers(page).Last).ToContainTextAsync(full[..20]);

        // The circuit goes away mid-answer; the server keeps writing.
        await page.ReloadAsync();
        await page.WaitForCircuitAsync();

        await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });
        await Expect(Answers(page).Last.Locator("[data-testid=message-meta]")).ToContainTextAsync("712 out");
        var text = await Answers(page).Last.Locator("[data-testid=message-text]").InnerTextAsync();
        Assert.Contains(full[^40..].Trim(), text.ReplaceLineEndings(" "));
    }

    [Fact]
    public async Task Compare_three_models_where_one_provider_fails_and_the_others_finish()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);
        await page.RegisterAsync("compare@example.com", "Passw0rd!");
        await page.GotoAsync("/compare");
        await page.WaitForCircuitAsync();

        await page.ChooseAsync("compare-model-0", "openai · gpt-4o-mini");
        await page.ChooseAsync("compare-model-1", "Broken · gpt-4o-mini");
        await page.ClickAsync("[data-testid=compare-add]");
        await page.ChooseAsync("compare-model-2", "Anthropic · claude-3-opus-latest");
        await page.FillAsync("#compare-prompt", "Say hello");
        await page.ClickAsync("[data-testid=compare-send]");

        var columns = page.Locator("[data-testid=compare-column]");
        await Expect(columns).ToHaveCountAsync(3);
        await Expect(columns.Nth(0).Locator("[data-testid=column-status]")).ToHaveTextAsync("done");
        await Expect(columns.Nth(1).Locator("[data-testid=column-status]")).ToHaveTextAsync("failed");
        await Expect(columns.Nth(1).Locator("[data-testid=message-error]")).ToContainTextAsync("rejected the API key");
        await Expect(columns.Nth(2).Locator("[data-testid=column-status]")).ToHaveTextAsync("done");
        await Expect(columns.Nth(2).Locator("[data-testid=message-meta]")).ToContainTextAsync("anthropic/");
        await Expect(page.Locator("[data-testid=compare-run]")).ToHaveCountAsync(1);

        await columns.Nth(0).Locator("[data-testid=continue]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/chat/[0-9a-f-]{36}$"));
        await Expect(page.Locator("[data-testid=message]")).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task Another_users_chat_by_address_is_not_found()
    {
        var owner = await OpenChatAsync("owner@example.com");
        await owner.ChooseAsync("chat-model", "Echo (offline demo)");
        await owner.FillAsync("#chat-input", "My private chat");
        await owner.ClickAsync("[data-testid=send]");
        await Expect(owner).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/chat/[0-9a-f-]{36}$"));
        var address = new Uri(owner.Url).AbsolutePath;

        var intruder = await OpenChatAsync("intruder@example.com");
        await intruder.GotoAsync(address);
        await intruder.WaitForCircuitAsync();

        await Expect(intruder.Locator("[data-testid=chat-not-found]")).ToBeVisibleAsync();
        await Expect(intruder.Locator("body")).Not.ToContainTextAsync("My private chat");
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
