using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MrPrompt.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>
/// Conversations as people have them, on a fresh install with only the offline demo: turn after turn
/// without reloading, in a chat opened by its address, after a reload, after Compare's "Continue with
/// this one", with long and non-ASCII messages. (A chat whose second message never appeared once
/// passed every test that stopped at the first.)
/// </summary>
public sealed partial class ConversationJourneyTests(Browser browser) : IAsyncLifetime
{
    private readonly AppServer _app = new(new Dictionary<string, string?>
    {
        ["Chat:GenerateTitles"] = "false",
        // Slow enough that a person (and this test) can type the next question while an answer streams.
        ["Gateway:EchoWordDelayMilliseconds"] = "60",
    });

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    private static ILocator Questions(IPage page) => page.Locator("[data-testid=message][data-sender=user]");

    private static ILocator Answers(IPage page) => page.Locator("[data-testid=message][data-sender=assistant]");

    private static ILocator SendButton(IPage page) => page.Locator("[data-testid=send]");

    /// <summary>A question of some sixty words, so its echo streams for a few seconds.</summary>
    private static string Question(int turn, string topic) =>
        $"Turn {turn}: {topic} " + string.Join(' ', Enumerable.Range(1, 55).Select(n => $"word{n}"));

    private async Task<IPage> SignedUpAtChatAsync(string email)
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);
        await page.RegisterAsync(email, "Passw0rd!");
        await page.GotoAsync("/chat");
        await page.WaitForCircuitAsync();
        return page;
    }

    /// <summary>
    /// Sends what is in the box, then checks what a person sees: the question at once, the answer
    /// streaming below it with Send held back (the next question can be typed meanwhile), then the
    /// whole answer.
    /// </summary>
    private static async Task SendAndWatchAsync(IPage page, string question, int turn, string? typedWhileStreaming, bool withEnter = false)
    {
        await page.FillAsync("#chat-input", question);
        if (withEnter)
        {
            await page.PressAsync("#chat-input", "Enter");
        }
        else
        {
            await SendButton(page).ClickAsync();
        }
        await Expect(Questions(page)).ToHaveCountAsync(turn);
        await Expect(Questions(page).Nth(turn - 1)).ToHaveTextAsync(question);
        await Expect(Answers(page).Nth(turn - 1)).ToHaveAttributeAsync("data-status", "streaming");
        if (typedWhileStreaming is not null)
        {
            await page.FillAsync("#chat-input", typedWhileStreaming);
            await Expect(SendButton(page)).ToBeDisabledAsync();
        }
        await Expect(Answers(page).Nth(turn - 1)).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });
        await Expect(Answers(page).Nth(turn - 1).Locator("[data-testid=message-text]")).ToHaveTextAsync(question);
        await Expect(Answers(page)).ToHaveCountAsync(turn);
        if (typedWhileStreaming is not null)
        {
            await Expect(SendButton(page)).ToBeEnabledAsync();
            await Expect(page.Locator("#chat-input")).ToHaveValueAsync(typedWhileStreaming);
        }
    }

    [Fact]
    public async Task Five_turns_in_a_row_appear_live_in_order_and_a_send_refused_in_another_tab_says_why()
    {
        var page = await SignedUpAtChatAsync("turns@example.com");
        string[] questions =
        [
            Question(1, "hello there"),
            Question(2, "Grüße aus Köln — çà et là"),
            Question(3, "東京の天気はどうですか"),
            Question(4, "emoji 🎉🚀 and “quotes”"),
            Question(5, "the last one"),
        ];

        for (var turn = 1; turn <= questions.Length; turn++)
        {
            // Every other question goes with Enter; each is typed while the answer before it streams.
            var next = turn < questions.Length ? questions[turn] : null;
            await SendAndWatchAsync(page, questions[turn - 1], turn, typedWhileStreaming: next, withEnter: turn % 2 == 1);
        }
        await Expect(page).ToHaveURLAsync(ChatAddress());

        // A second tab, open on the same chat, sends while the first tab's sixth answer streams: it is
        // refused, the page says why, and the text stays for later.
        var other = await page.Context.NewPageAsync();
        await other.GotoAsync(new Uri(page.Url).AbsolutePath);
        await other.WaitForCircuitAsync();
        await Expect(Questions(other)).ToHaveCountAsync(questions.Length);
        await page.FillAsync("#chat-input", Question(6, "from the first tab"));
        await SendButton(page).ClickAsync();
        await Expect(Answers(page).Nth(5)).ToHaveAttributeAsync("data-status", "streaming");
        await other.FillAsync("#chat-input", "From the second tab");
        await SendButton(other).ClickAsync();
        await Expect(other.Locator("[data-testid=chat-problem]")).ToHaveTextAsync("An answer is still being written in this chat. Stop it or wait for it to finish.");
        await Expect(other.Locator("#chat-input")).ToHaveValueAsync("From the second tab");
        await Expect(Answers(page).Nth(5)).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });

        // What was shown live is what was saved.
        await other.ReloadAsync();
        await other.WaitForCircuitAsync();
        string[] all = [.. questions, Question(6, "from the first tab")];
        await Expect(Questions(other)).ToHaveTextAsync(all);
        await Expect(Answers(other).Locator("[data-testid=message-text]")).ToHaveTextAsync(all);
    }

    [Fact]
    public async Task A_chat_opened_by_its_address_and_reloaded_goes_on_turn_after_turn()
    {
        var first = await SignedUpAtChatAsync("by-address@example.com");
        await SendAndWatchAsync(first, Question(1, "start here"), 1, typedWhileStreaming: null);
        var address = new Uri(first.Url).AbsolutePath;

        // Another tab opens the chat by its address and carries on.
        var page = await first.Context.NewPageAsync();
        await page.GotoAsync(address);
        await page.WaitForCircuitAsync();
        await Expect(Questions(page)).ToHaveCountAsync(1);
        await SendAndWatchAsync(page, Question(2, "from the address"), 2, typedWhileStreaming: Question(3, "typed meanwhile"));
        await SendButton(page).ClickAsync();
        await Expect(Answers(page).Nth(2)).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });

        // After a reload the conversation is still there and still goes on.
        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await SendAndWatchAsync(page, Question(4, "after the reload"), 4, typedWhileStreaming: null, withEnter: true);
        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(address) + "$"));
        await Expect(Questions(page).Locator("[data-testid=message-text]")).ToHaveTextAsync(
            [Question(1, "start here"), Question(2, "from the address"), Question(3, "typed meanwhile"), Question(4, "after the reload")]);
    }

    [Fact]
    public async Task Compare_works_on_a_fresh_install_and_the_chosen_column_goes_on_as_a_chat()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl);
        await page.RegisterAsync("fresh-compare@example.com", "Passw0rd!");
        await page.GotoAsync("/compare");
        await page.WaitForCircuitAsync();

        // Only the demo model exists, so both columns start with it.
        await Expect(page.Locator("[data-testid=compare-model-0]")).ToContainTextAsync("Echo (offline demo)");
        await Expect(page.Locator("[data-testid=compare-model-1]")).ToContainTextAsync("Echo (offline demo)");
        await page.FillAsync("#compare-prompt", "Compare me, please");
        await page.ClickAsync("[data-testid=compare-send]");

        var columns = page.Locator("[data-testid=compare-column]");
        await Expect(columns).ToHaveCountAsync(2);
        await Expect(columns.Nth(0).Locator("[data-testid=column-status]")).ToHaveTextAsync("done", new() { Timeout = 30_000 });
        await Expect(columns.Nth(1).Locator("[data-testid=column-status]")).ToHaveTextAsync("done", new() { Timeout = 30_000 });
        await Expect(columns.Locator("[data-testid=message-text]")).ToHaveTextAsync(["Compare me, please", "Compare me, please"]);

        await columns.Nth(1).Locator("[data-testid=continue]").ClickAsync();
        await Expect(page).ToHaveURLAsync(ChatAddress());
        await page.WaitForCircuitAsync();
        await Expect(Questions(page)).ToHaveCountAsync(1);
        await SendAndWatchAsync(page, Question(2, "after continue"), 2, typedWhileStreaming: Question(3, "and again"));
        await SendButton(page).ClickAsync();
        await Expect(Answers(page).Nth(2)).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });
        await Expect(Answers(page).Locator("[data-testid=message-text]")).ToHaveTextAsync(
            ["Compare me, please", Question(2, "after continue"), Question(3, "and again")]);
    }

    [Fact]
    public async Task Long_and_non_ascii_messages_up_to_the_limit_go_through_and_a_longer_one_is_refused_on_the_page()
    {
        var page = await SignedUpAtChatAsync("long@example.com");
        var ascii = string.Join(' ', Enumerable.Repeat("abcdefghij", 2_819))[..31_000];
        var cjk = string.Concat(Enumerable.Repeat("東京の天気は晴れですね。", 1_000));
        Assert.Equal((31_000, 12_000), (ascii.Length, cjk.Length));

        // 31,000 characters, then 12,000 Japanese ones (36,000 bytes of UTF-8): each arrives whole.
        foreach (var (text, turn) in new[] { (ascii, 1), (cjk, 2) })
        {
            await page.FillAsync("#chat-input", text);
            await SendButton(page).ClickAsync();
            await Expect(Questions(page)).ToHaveCountAsync(turn);
            Assert.Equal(text, await Questions(page).Nth(turn - 1).Locator("[data-testid=message-text]").InnerTextAsync());
            await page.ClickAsync("[data-testid=stop]");
            await Expect(Answers(page).Nth(turn - 1)).ToHaveAttributeAsync("data-status", "cancelled");
        }

        // 33,000 characters: refused on the page before anything is sent, and the connection stays.
        await page.FillAsync("#chat-input", ascii + new string('k', 2_000));
        await Expect(page.Locator("[data-testid=length-error]")).ToHaveTextAsync("Too long: 33,000 of at most 32,000 characters.");
        await Expect(SendButton(page)).ToBeDisabledAsync();
        await page.PressAsync("#chat-input", "Enter");
        // Some twenty words: an answer that streams for a second, long enough to be seen streaming on a busy machine.
        const string stillHere = "Still here? The page kept its connection after refusing that, so this answer streams in word by word as usual.";
        await page.FillAsync("#chat-input", stillHere);
        await Expect(page.Locator("[data-testid=length-error]")).ToHaveCountAsync(0);
        await SendAndWatchAsync(page, stillHere, 3, typedWhileStreaming: null);
        await Expect(Questions(page)).ToHaveCountAsync(3);
    }

    [Fact]
    public async Task Chats_are_listed_under_today_a_pinned_one_rises_to_the_top_and_an_archived_one_moves_apart()
    {
        var page = await SignedUpAtChatAsync("sidebar@example.com");
        var sessions = page.Locator("[data-testid=session]");
        string[] titles = ["Olive oil tasting notes", "Café crème — Grüße", "Third chat about tea"];
        var addresses = new List<string>();
        foreach (var title in titles)
        {
            await page.GotoAsync("/chat");
            await page.WaitForCircuitAsync();
            await page.FillAsync("#chat-input", title);
            await SendButton(page).ClickAsync();
            await Expect(page).ToHaveURLAsync(ChatAddress());
            await Expect(Answers(page).Last).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });
            addresses.Add(new Uri(page.Url).AbsolutePath);
        }
        await Expect(page.Locator("[data-testid=session-group]")).ToHaveTextAsync(["Today"]);
        await Expect(sessions).ToHaveTextAsync(titles.Reverse().ToArray());

        // Pin the oldest: it heads the list under "Pinned", and stays there after a reload.
        await page.GotoAsync(addresses[0]);
        await page.WaitForCircuitAsync();
        await page.ClickAsync("[data-testid=pin]");
        await Expect(page.Locator("[data-testid=session-group]")).ToHaveTextAsync(["Pinned", "Today"]);
        await Expect(sessions.First).ToHaveTextAsync(titles[0]);
        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await Expect(sessions).ToHaveTextAsync([titles[0], titles[2], titles[1]]);
        await Expect(sessions.First).ToHaveAttributeAsync("data-pinned", "true");

        // Archive the second: out of the list, under "Archived chats", still opened by its address.
        await page.GotoAsync(addresses[1]);
        await page.WaitForCircuitAsync();
        await page.ClickAsync("[data-testid=archive]");
        await Expect(page.Locator("[data-testid=archived-note]")).ToBeVisibleAsync();
        await Expect(sessions).ToHaveTextAsync([titles[0], titles[2]]);
        await page.ClickAsync("[data-testid=show-archived]");
        await Expect(sessions).ToHaveTextAsync([titles[1]]);
        await page.ClickAsync("[data-testid=show-archived]");
        await Expect(sessions).ToHaveCountAsync(2);
        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=archived-note]")).ToBeVisibleAsync();
        await Expect(Questions(page)).ToHaveTextAsync([titles[1]]);

        // Back to the list; a second user sees none of this.
        await page.ClickAsync("[data-testid=archive]");
        await Expect(page.Locator("[data-testid=archived-note]")).ToHaveCountAsync(0);
        await Expect(sessions).ToHaveCountAsync(3);
        var other = await browser.NewPageAsync(_app.BaseUrl);
        await other.RegisterAsync("sidebar-other@example.com", "Passw0rd!");
        await other.GotoAsync("/chat");
        await other.WaitForCircuitAsync();
        await Expect(other.Locator("[data-testid=no-sessions]")).ToHaveTextAsync("No chats yet.");
        await other.ClickAsync("[data-testid=show-archived]");
        await Expect(other.Locator("[data-testid=no-sessions]")).ToHaveTextAsync("No archived chats.");
    }

    [Fact]
    public async Task A_share_link_is_read_signed_out_and_after_revoking_it_is_not_found()
    {
        var page = await SignedUpAtChatAsync("sharer@example.com");
        await SendAndWatchAsync(page, "First turn — Grüße aus Köln", 1, typedWhileStreaming: null);
        await SendAndWatchAsync(page, "Second turn: <b>not bold</b> 東京", 2, typedWhileStreaming: null);

        await page.ClickAsync("[data-testid=share]");
        await page.ClickAsync("[data-testid=share-create]");
        var link = await page.Locator("#share-link-text").InputValueAsync();
        Assert.Matches("/share/[A-Za-z0-9_-]{43}$", link);
        await Expect(page.Locator("[data-testid=share-row]")).ToHaveCountAsync(1);

        // Someone without an account opens it: both turns, the markup shown as text, nothing of the app around it.
        var stranger = await browser.NewPageAsync(_app.BaseUrl);
        var opened = await stranger.GotoAsync(link);
        Assert.Equal(200, opened!.Status);
        await Expect(stranger.Locator("[data-testid=shared-title]")).ToHaveTextAsync("First turn — Grüße aus Köln");
        await Expect(stranger.Locator("[data-testid=shared-message][data-sender=user] [data-testid=message-text]"))
            .ToHaveTextAsync(["First turn — Grüße aus Köln", "Second turn: <b>not bold</b> 東京"]);
        await Expect(stranger.Locator("[data-testid=shared-message][data-sender=assistant]")).ToHaveCountAsync(2);
        await Expect(stranger.Locator("b")).ToHaveCountAsync(0);
        await Expect(stranger.Locator("[data-testid=new-chat]")).ToHaveCountAsync(0);

        // A third turn after sharing is not in the link; then the owner revokes it.
        await page.ClickAsync("[data-testid=share-close]");
        await SendAndWatchAsync(page, "Third turn, private", 3, typedWhileStreaming: null);
        await stranger.ReloadAsync();
        await Expect(stranger.Locator("[data-testid=shared-message]")).ToHaveCountAsync(4);
        await page.ClickAsync("[data-testid=share]");
        await page.ClickAsync("[data-testid=share-revoke]");
        await Expect(page.Locator("[data-testid=share-state]")).ToHaveTextAsync("revoked");

        var gone = await stranger.GotoAsync(link);
        Assert.Equal(404, gone!.Status);
        await Expect(stranger.Locator("[data-testid=shared-messages]")).ToHaveCountAsync(0);
        await Expect(stranger.GetByText("Not found").First).ToBeVisibleAsync();
    }

    [GeneratedRegex("/chat/[0-9a-f-]{36}$")]
    private static partial Regex ChatAddress();

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
    }
}
