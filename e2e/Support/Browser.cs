using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(MrPrompt.E2E.Support.Browser))]

namespace MrPrompt.E2E.Support;

/// <summary>Debian's Chromium, driven by Playwright; one browser for the run, a fresh context per test.</summary>
public sealed class Browser : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly List<IBrowserContext> _contexts = [];

    // Every Content-Security-Policy violation any page of the test reported: each fails the test, since a
    // blocked script or style is a broken page somewhere a journey may not look.
    private readonly List<string> _policyViolations = [];

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (bash .ci/test does).");
        }
        // The first call of a kind warms up a cold app on two cores: give assertions room.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // This machine has no network but loopback: keep Chromium from trying.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public async Task<IPage> NewPageAsync(string baseUrl, int width = 1280, int height = 800)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(20_000);
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                lock (_policyViolations)
                {
                    _policyViolations.Add($"{page.Url}: {message.Text}");
                }
            }
        };
        return page;
    }

    /// <summary>
    /// Closes every page a test opened. Call it before stopping the app: an open page holds a circuit's
    /// WebSocket, and the server's graceful shutdown waits (up to 30 s) for such connections to close.
    /// </summary>
    public async Task CloseContextsAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
        _contexts.Clear();
        string[] violations;
        lock (_policyViolations)
        {
            violations = [.. _policyViolations];
            _policyViolations.Clear();
        }
        if (violations.Length > 0)
        {
            throw new InvalidOperationException("The Content-Security-Policy blocked something:\n" + string.Join("\n", violations));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}
