using System.Text.Json;
using Microsoft.Playwright;
using MrPrompt.E2E.Support;
using MrPrompt.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>
/// Questions queued through <c>/api/chat/jobs</c> with the browser's sign-in: the answered one is a chat like any other,
/// opened by its address and after a reload; the one whose provider refused it is on Admin → Jobs with its error, and
/// "Run again" answers it.
/// </summary>
public sealed class JobsJourneyTests(Browser browser) : IAsyncLifetime
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
            ["Chat:GenerateTitles"] = "false",
        });
    }

    [Fact]
    public async Task A_queued_answer_reads_as_a_chat_and_a_refused_one_is_run_again_from_the_jobs_page()
    {
        var page = await browser.NewPageAsync(_app.BaseUrl, width: 1280, height: 1000);
        await page.RegisterAsync("owner@example.com", "Passw0rd!"); // the first account: the Admin

        var answered = await QueueAsync(page, "Ça va? 你好, from a program");
        await FollowToEndAsync(page, answered.JobId);
        await page.GotoAsync($"/chat/{answered.SessionId}");
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=message][data-sender=user] [data-testid=message-text]")).ToHaveTextAsync("Ça va? 你好, from a program");
        var answer = page.Locator("[data-testid=message][data-sender=assistant]");
        await Expect(answer).ToHaveAttributeAsync("data-status", "complete");
        await Expect(answer.Locator("[data-testid=message-text]")).ToContainTextAsync("The best pizza toppings");
        await page.ReloadAsync();
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=message][data-sender=assistant]")).ToHaveAttributeAsync("data-status", "complete");

        // The provider refuses the next question outright (not worth a retry): the job fails with the provider's reason.
        _upstream.Enqueue(Fault.Status(400));
        var refused = await QueueAsync(page, "A question the provider refuses");
        await FollowToEndAsync(page, refused.JobId);

        await page.GotoAsync("/admin/jobs");
        await page.WaitForCircuitAsync();
        var row = page.Locator("[data-testid=jobs-failed-row]");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("owner@example.com");
        await Expect(row).ToContainTextAsync("invalid_request");
        await Expect(page.Locator("[data-testid=jobs-worker]")).ToContainTextAsync("alive"); // this instance, from its start
        await Expect(page.Locator("[data-testid=jobs-this-instance]")).ToBeVisibleAsync();
        var instance = (await page.Locator("[data-testid=admin-instance]").TextContentAsync())!.Replace("Instance ", "", StringComparison.Ordinal).Trim();
        await Expect(page.Locator("[data-testid=jobs-worker]")).ToContainTextAsync(instance); // the page names the instance serving it, on its lease row
        await page.ReloadAsync(); // opened again by its address, it shows the same
        await page.WaitForCircuitAsync();
        await Expect(row).ToHaveCountAsync(1);

        await row.Locator("[data-testid=job-retry]").ClickAsync();

        await Expect(row).ToHaveCountAsync(0);
        await page.GotoAsync($"/chat/{refused.SessionId}");
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=message][data-sender=assistant]")).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryRoot.Path, "docs", "images", "queued-chat.png") });
    }

    /// <summary>Queues a question as a program on MrPrompt's own pages would: with the sign-in cookie, same-origin.</summary>
    private static async Task<(Guid JobId, Guid SessionId)> QueueAsync(IPage page, string message)
    {
        var response = await page.APIRequest.PostAsync("/api/chat/jobs", new()
        {
            DataObject = new { message, model = "openai/gpt-4o-mini" },
            Headers = new Dictionary<string, string> { ["Sec-Fetch-Site"] = "same-origin" },
        });
        Assert.Equal(202, response.Status);
        using var body = JsonDocument.Parse(await response.TextAsync());
        return (body.RootElement.GetProperty("job_id").GetGuid(), body.RootElement.GetProperty("session_id").GetGuid());
    }

    /// <summary>Reads the job's event stream to its end: the job has ended when this returns.</summary>
    private static async Task FollowToEndAsync(IPage page, Guid jobId)
    {
        var response = await page.APIRequest.GetAsync($"/api/chat/jobs/{jobId}/events", new() { Timeout = 30_000 });
        Assert.Equal(200, response.Status);
        Assert.Contains("event: ready", await response.TextAsync(), StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
