using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;

namespace MrPrompt.Benchmarks;

/// <summary>
/// Many people on the chat page at once, each in a real Chromium page with its own Blazor circuit: the
/// server's managed heap (after a full collection, from dotnet-gcdump) with every circuit idle, then
/// with every circuit streaming an answer from Echo, and how long each answer takes to finish when all
/// of them write at once against one alone. Run by bench/circuits.sh.
/// </summary>
public static class CircuitLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 5)
        {
            Console.Error.WriteLine("Usage: circuits <base url> <email> <password> <pages> <server pid> [idle page path, default /chat]");
            return 2;
        }
        var (baseUrl, email, password) = (args[0], args[1], args[2]);
        var pages = int.Parse(args[3], CultureInfo.InvariantCulture);
        var serverPid = args[4];
        // Another page for the idle circuits shows how much of a circuit's memory is the chat page's own.
        var idlePath = args.Length > 5 ? args[5] : "/chat";

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var signIn = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
        var first = await signIn.NewPageAsync();
        await first.GotoAsync("/Account/Login");
        await first.FillAsync("#email", email);
        await first.FillAsync("#password", password);
        await first.ClickAsync("[data-testid=sign-in]");
        try
        {
            await first.WaitForURLAsync(url => !url.Contains("/Account/", StringComparison.Ordinal));
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"Could not sign in as {email}; the page says: {await first.InnerTextAsync("main")}");
            return 1;
        }
        var state = await signIn.StorageStateAsync();
        await signIn.CloseAsync();

        async Task<IPage> OpenChatAsync(string path = "/chat")
        {
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, StorageState = state });
            var page = await context.NewPageAsync();
            await page.GotoAsync(path);
            await page.Locator("[data-circuit=on]").WaitForAsync();
            return page;
        }

        // One page that has chatted first: what the first circuit warms once (caches, pools, compiled
        // queries) is not counted against the others.
        var question = string.Join(' ', Enumerable.Range(1, 120).Select(i => $"word{i}"));
        var warm = await OpenChatAsync();
        var alone = await AskAsync(warm, question + " warm-up");
        alone = await AskAsync(warm, question + " alone");
        Console.WriteLine($"one answer alone (about 120 words of Echo at 40 ms a word): {alone.TotalSeconds:0.00} s");
        var before = HeapBytes(serverPid);
        Console.WriteLine($"server heap with one warm page: {before / 1024.0 / 1024:0.0} MiB");

        var open = new List<IPage>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < pages; i++)
        {
            open.Add(await OpenChatAsync(idlePath));
        }
        Console.WriteLine($"{pages} more pages on {idlePath} open with live circuits in {clock.Elapsed.TotalSeconds:0.0} s");
        var idle = HeapBytes(serverPid);
        Console.WriteLine($"server heap with {pages} idle circuits: {idle / 1024.0 / 1024:0.0} MiB, {(idle - before) / pages / 1024.0:0} KB per idle circuit");

        if (idlePath != "/chat")
        {
            return 0; // only chat pages can answer
        }
        var answers = open.Select((page, i) => AskAsync(page, $"{question} page{i}")).ToList();
        await Task.Delay(TimeSpan.FromSeconds(2)); // every page is mid-answer now

        var streaming = HeapBytes(serverPid);
        Console.WriteLine($"server heap with {pages} circuits streaming: {streaming / 1024.0 / 1024:0.0} MiB, {(streaming - before) / pages / 1024.0:0} KB per streaming circuit");
        var times = (await Task.WhenAll(answers)).Select(t => t.TotalSeconds).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{pages} answers at once: median {times[times.Count / 2]:0.00} s, slowest {times[^1]:0.00} s (alone {alone.TotalSeconds:0.00} s)"));
        return 0;
    }

    /// <summary>Sends a message and waits until its answer is saved (its accounting line shows).</summary>
    private static async Task<TimeSpan> AskAsync(IPage page, string question)
    {
        var answered = page.Locator("[data-testid=message][data-sender=assistant] [data-testid=message-meta]");
        var before = await answered.CountAsync();
        var clock = Stopwatch.StartNew();
        await page.FillAsync("#chat-input", question);
        await page.ClickAsync("[data-testid=send]");
        await answered.Nth(before).WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
        return clock.Elapsed;
    }

    /// <summary>The server's managed heap after a full collection, as dotnet-gcdump reports it.</summary>
    private static long HeapBytes(string pid)
    {
        var file = Path.Combine(Path.GetTempPath(), $"mrprompt-{pid}-{Guid.NewGuid():N}.gcdump");
        Run("dotnet-gcdump", $"collect -p {pid} -o {file}");
        var report = Run("dotnet-gcdump", $"report {file}");
        File.Delete(file);
        // The report's totals line: "<bytes>  GC Heap bytes".
        var line = report.Split('\n').First(l => l.Contains("GC Heap bytes", StringComparison.Ordinal));
        return long.Parse(line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }

    private static string Run(string tool, string arguments)
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(home, ".dotnet", "tools", tool), arguments) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
