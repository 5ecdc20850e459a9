using System.Globalization;
using Microsoft.Playwright;
using MrPrompt.E2E.Support;
using MrPrompt.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>
/// After a member's chat, the admin finds the call on the usage page with its tokens and cost,
/// exports the CSV and finds the same row there; the member cannot open the admin pages.
/// </summary>
public sealed class AdminUsageJourneyTests(Browser browser) : IAsyncLifetime
{
    private FakeProviderServer _upstream = null!;
    private AppServer _app = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await FakeProviderServer.StartAsync();
        _app = new AppServer(new Dictionary<string, string?>
        {
            ["Providers:openai:Kind"] = "OpenAI",
            ["Providers:openai:BaseUrl"] = _upstream.OpenAIBaseUrl,
            ["Providers:openai:ApiKey"] = FakeProviderServer.ValidKey,
            ["Providers:openai:Models:0:Id"] = "gpt-4o-mini",
            ["Providers:openai:Models:0:InputPrice"] = "0.15",
            ["Providers:openai:Models:0:OutputPrice"] = "0.60",
            ["Chat:GenerateTitles"] = "false",
        });
    }

    [Fact]
    public async Task The_admin_sees_a_members_call_with_tokens_and_cost_and_finds_it_in_the_csv()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl, width: 1280, height: 1000);
        // The owner (the first account, so the Admin) says hello to the offline demo model.
        await page.RegisterAsync("owner@example.com", "Passw0rd!");
        await ChatAsync(page, "Echo (offline demo)", "Hello");
        await page.SignOutAsync();

        // A member chats once; the answer says what it used and cost.
        await page.RegisterAsync("member@example.com", "Passw0rd!");
        var meta = await ChatAsync(page, "openai · gpt-4o-mini", "Pizza toppings?");
        var tokens = System.Text.RegularExpressions.Regex.Match(meta, @"([\d,]+) in · ([\d,]+) out");
        Assert.True(tokens.Success, meta);
        var (input, output) = (Number(tokens.Groups[1].Value), Number(tokens.Groups[2].Value));

        // The member has no way into the admin console: no menu entry, a typed address is refused, and so is the API.
        await Expect(page.Locator("[data-testid=nav-admin]")).ToHaveCountAsync(0);
        await page.GotoAsync("/admin/usage");
        await Expect(page.Locator("[data-testid=forbidden]")).ToBeVisibleAsync();
        var api = await page.APIRequest.GetAsync("/api/admin/usage/export.csv");
        Assert.Equal(403, api.Status);
        await page.GotoAsync("/");
        await page.SignOutAsync();

        // The admin sees both calls, then narrows to the member's.
        await page.SignInAsync("owner@example.com", "Passw0rd!");
        await page.ClickAsync("[data-testid=nav-admin]");
        await Expect(page.Locator("[data-testid=usage-requests]")).ToHaveTextAsync("2");
        await Expect(page.Locator("[data-testid=usage-grid] tbody tr.mud-table-row")).ToHaveCountAsync(2);
        await page.Locator("[data-testid=usage-user]").FillAsync("member@");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "member@example.com" }).ClickAsync();
        await Expect(page.Locator("[data-testid=usage-user]")).ToHaveValueAsync("member@example.com");
        var row = page.Locator("[data-testid=usage-grid] tbody tr.mud-table-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid=usage-requests]")).ToHaveTextAsync("1");
        await Expect(row).ToContainTextAsync("member@example.com");
        await Expect(row).ToContainTextAsync("openai/gpt-4o-mini");
        await Expect(row).ToContainTextAsync(input.ToString("N0", CultureInfo.InvariantCulture));
        await Expect(row).ToContainTextAsync(output.ToString("N0", CultureInfo.InvariantCulture));
        var cost = (input * 0.15m + output * 0.60m) / 1_000_000m;
        await Expect(row).ToContainTextAsync("$" + cost.ToString("0.######", CultureInfo.InvariantCulture));
        await Expect(page.Locator("[data-testid=usage-input-tokens]")).ToHaveTextAsync(input.ToString("N0", CultureInfo.InvariantCulture));
        var trace = (await row.Locator("[data-testid=usage-trace]").GetAttributeAsync("title"))!;
        // At 1280 pixels, beside the menu, every column of the calls shows without scrolling sideways.
        var widths = await page.Locator("[data-testid=usage-grid] .mud-table-container").EvaluateAsync<int[]>("e => [e.scrollWidth, e.clientWidth]");
        Assert.True(widths[0] <= widths[1], $"the calls table is wider ({widths[0]} px) than the page ({widths[1]} px)");
        Directory.CreateDirectory(Path.Combine(RepositoryRoot.Path, "docs", "images"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryRoot.Path, "docs", "images", "admin-usage.png") });

        // The export holds the same call, with the same figures.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-testid=usage-export]"));
        var csv = await File.ReadAllLinesAsync((await download.PathAsync())!, TestContext.Current.CancellationToken);
        Assert.StartsWith("mrprompt-usage-", download.SuggestedFilename, StringComparison.Ordinal);
        var header = csv[0].Split(',');
        var line = Assert.Single(csv.Skip(1)).Split(',');
        string Field(string name) => line[Array.IndexOf(header, name)];
        Assert.Equal((trace, "member@example.com", "Ui", "openai", "gpt-4o-mini", "Success"),
            (Field("trace_id"), Field("user_email"), Field("source"), Field("provider"), Field("model"), Field("status")));
        Assert.Equal((input, output), (Number(Field("input_tokens")), Number(Field("output_tokens"))));
        Assert.Equal(cost, decimal.Parse(Field("cost_usd"), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task The_admin_sets_a_members_budget_on_the_users_page_and_the_members_next_call_is_refused()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl, width: 1400, height: 1000);
        await page.RegisterAsync("budget-owner@example.com", "Passw0rd!");
        await page.SignOutAsync();
        await page.RegisterAsync("spender@example.com", "Passw0rd!");
        await ChatAsync(page, "openai · gpt-4o-mini", "Pizza toppings?");
        await page.SignOutAsync();

        await page.SignInAsync("budget-owner@example.com", "Passw0rd!");
        await page.GotoAsync("/admin/users");
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid='month-spender@example.com']")).ToContainTextAsync("1 calls · $0.000");
        await Expect(page.Locator("[data-testid='budget-spender@example.com']")).ToHaveTextAsync("no cap");
        await page.ClickAsync("[data-testid='set-budget-spender@example.com']");
        await page.FillAsync("#budget-usd", "lots");
        await page.ClickAsync("[data-testid=budget-save]");
        await Expect(page.Locator(".mud-dialog")).ToContainTextAsync("Write an amount such as 25.50");
        await page.FillAsync("#budget-usd", "0");
        await page.ClickAsync("[data-testid=budget-save]");
        await Expect(page.Locator("[data-testid='budget-spender@example.com']")).ToContainTextAsync("of $0.00");
        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid='budget-spender@example.com']")).ToContainTextAsync("of $0.00");
        await page.SignOutAsync();

        // The member's next question is refused, saying why, without a call upstream.
        var calls = _upstream.ChatRequestCount;
        await page.SignInAsync("spender@example.com", "Passw0rd!");
        await page.GotoAsync("/chat");
        await page.WaitForCircuitAsync();
        await page.ChooseAsync("chat-model", "openai · gpt-4o-mini");
        await page.FillAsync("#chat-input", "One more?");
        await page.ClickAsync("[data-testid=send]");
        await Expect(page.Locator("[data-testid=message-error]").Last).ToContainTextAsync("Your monthly budget of $0.00 does not cover this call", new() { Timeout = 30_000 });
        Assert.Equal(calls, _upstream.ChatRequestCount);
    }

    [Fact]
    public async Task A_provider_added_on_the_admin_page_is_used_from_chat_without_a_restart()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl, width: 1400, height: 1000);
        await page.RegisterAsync("provider-admin@example.com", "Passw0rd!");
        await page.GotoAsync("/admin/providers");
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=provider-row-openai] [data-testid=provider-configured]")).ToBeVisibleAsync();

        await page.ClickAsync("[data-testid=add-provider]");
        await page.FillAsync("#provider-id", "team-gateway");
        await page.FillAsync("#provider-name", "Team gateway");
        await page.FillAsync("#provider-base-url", _upstream.OpenAIBaseUrl);
        await page.FillAsync("#provider-key", "sk-wrong-key-000000000000");
        await page.FillAsync("#model-id-0", "gpt-4o-mini");
        await page.FillAsync("#model-in-0", "0.15");
        await page.FillAsync("#model-out-0", "0.60");
        await page.ClickAsync("[data-testid=provider-test]");
        await Expect(page.Locator("[data-testid=provider-test-result]")).ToContainTextAsync("It did not answer");
        await page.FillAsync("#provider-key", FakeProviderServer.ValidKey);
        await page.ClickAsync("[data-testid=provider-test]");
        await Expect(page.Locator("[data-testid=provider-test-result]")).ToContainTextAsync("It answers");
        await page.ClickAsync("[data-testid=provider-save]");
        await Expect(page.Locator("[data-testid=provider-row-team-gateway]")).ToContainTextAsync("gpt-4o-mini");
        await Expect(page.Locator("[data-testid=provider-row-team-gateway]")).ToContainTextAsync("…" + FakeProviderServer.ValidKey[^4..]);
        Assert.DoesNotContain(FakeProviderServer.ValidKey, await page.ContentAsync(), StringComparison.Ordinal);

        // At once, in chat, for the admin and for a member who signs up afterwards.
        var meta = await ChatAsync(page, "Team gateway · gpt-4o-mini", "Hello through the new provider");
        Assert.Contains("team-gateway/gpt-4o-mini", meta, StringComparison.Ordinal);
        Assert.Equal(FakeProviderServer.ValidKey, _upstream.Requests.Last(r => r.IsChat).ApiKey);
        await page.SignOutAsync();
        await page.RegisterAsync("provider-member@example.com", "Passw0rd!");
        await ChatAsync(page, "Team gateway · gpt-4o-mini", "Me too?");
        await page.SignOutAsync();

        // The audit log has it.
        await page.SignInAsync("provider-admin@example.com", "Passw0rd!");
        await page.GotoAsync("/admin/audit");
        await page.WaitForCircuitAsync();
        await Expect(page.GetByText("provider_added").First).ToBeVisibleAsync();
    }

    /// <summary>Sends one message with <paramref name="model"/> and waits for the whole answer; returns its tokens-and-cost line.</summary>
    private static async Task<string> ChatAsync(IPage page, string model, string message)
    {
        await page.GotoAsync("/chat");
        await page.WaitForCircuitAsync();
        await page.ChooseAsync("chat-model", model);
        await page.FillAsync("#chat-input", message);
        await page.ClickAsync("[data-testid=send]");
        var answer = page.Locator("[data-testid=message][data-sender=assistant]").Last;
        await Expect(answer).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });
        return (await answer.Locator("[data-testid=message-meta]").TextContentAsync())!;
    }

    private static int Number(string text) => int.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
