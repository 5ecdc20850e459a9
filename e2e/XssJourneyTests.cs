using System.Collections.Concurrent;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Prompts;
using MrPrompt.E2E.Support;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Infrastructure.Security;
using static Microsoft.Playwright.Assertions;

namespace MrPrompt.E2E;

/// <summary>
/// The attack suite's browser part: a few hundred script-injection payloads as model output (stored answers,
/// and answers streaming live through Echo) and as template text (the prompt's editor, history, diff and
/// playground), all rendered in Chromium. Every payload calls <c>__xss(id)</c> if it ever runs. The test
/// counts executions, dangerous links and attributes left in the page, and the HTML responses without a
/// Content-Security-Policy; the browser fixture also fails the test on any CSP violation, so a payload that
/// got past the sanitizer and was only stopped by the CSP still fails it.
/// </summary>
public sealed class XssJourneyTests(Browser browser) : IAsyncLifetime
{
    private readonly AppServer _app = new(new Dictionary<string, string?>
    {
        ["Chat:GenerateTitles"] = "false",
        ["Gateway:EchoWordDelayMilliseconds"] = "0",
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>Ways in: tags, handlers, URLs, markdown links and images, mutation tricks, generic attributes.</summary>
    private static readonly string[] Vectors =
    [
        "<script>__xss('{0}')</script>",
        "<img src=x onerror=\"__xss('{0}')\">",
        "<svg onload=\"__xss('{0}')\">",
        "<svg><script>__xss('{0}')</script></svg>",
        "<iframe src=\"javascript:__xss('{0}')\"></iframe>",
        "<iframe srcdoc=\"<script>parent.__xss('{0}')</script>\"></iframe>",
        "<a href=\"javascript:__xss('{0}')\">click</a>",
        "[click](javascript:__xss('{0}'))",
        "[click](JaVaScRiPt:__xss('{0}'))",
        "[click](&#106;avascript:__xss('{0}'))",
        "[click](java&#x09;script:__xss('{0}'))",
        "![pic](javascript:__xss('{0}'))",
        "![pic](x\" onerror=\"__xss('{0}'))",
        "<body onload=\"__xss('{0}')\">",
        "<details open ontoggle=\"__xss('{0}')\">x</details>",
        "<input autofocus onfocus=\"__xss('{0}')\">",
        "<video><source onerror=\"__xss('{0}')\"></video>",
        "<audio src=x onerror=\"__xss('{0}')\"></audio>",
        "<object data=\"javascript:__xss('{0}')\"></object>",
        "<embed src=\"javascript:__xss('{0}')\">",
        "<math><mtext><table><mglyph><style><img src=x onerror=\"__xss('{0}')\">",
        "<form action=\"javascript:__xss('{0}')\"><button>go</button></form>",
        "<button formaction=\"javascript:__xss('{0}')\">go</button>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:__xss('{0}')\">",
        "<base href=\"javascript:__xss('{0}')//\">",
        "<link rel=stylesheet href=\"javascript:__xss('{0}')\">",
        "<div style=\"background:url(javascript:__xss('{0}'))\">x</div>",
        "<a href=\"data:text/html,<script>__xss('{0}')</script>\">d</a>",
        "<noscript><p title=\"</noscript><img src=x onerror=__xss('{0}')>\">",
        "<svg><a xlink:href=\"javascript:__xss('{0}')\"><text x=20 y=20>x</text></a></svg>",
        "<scr<script>ipt>__xss('{0}')</scr</script>ipt>",
        "\"><script>__xss('{0}')</script>",
        "'><img src=x onerror=__xss('{0}')>",
        "text {{.mud-overlay onclick=\"__xss('{0}')\"}}",
        "<a href=\"https://example.com\" onclick=\"__xss('{0}')\">x</a>",
        "<template><script>__xss('{0}')</script></template>",
        "<marquee onstart=\"__xss('{0}')\">m</marquee>",
        "<select autofocus onfocus=\"__xss('{0}')\"></select>",
        "<textarea autofocus onfocus=\"__xss('{0}')\"></textarea>",
        "<a href=\"vbscript:__xss('{0}')\">v</a>",
        "<img src=\"x\" onerror=\"&#95;&#95;xss('{0}')\">",
        "<svg><animate onbegin=\"__xss('{0}')\" attributeName=x dur=1s>",
        "<style>*{{background:url('javascript:__xss(\"{0}\")')}}</style>",
    ];

    /// <summary>Markdown contexts a payload may sit in.</summary>
    private static readonly string[] Wrappers = ["{0}", "> {0}", "- {0}", "# {0}", "| a |\n| - |\n| {0} |"];

    private static List<(string Id, string Text)> Payloads(string prefix) =>
        [.. Vectors.SelectMany((vector, v) => Wrappers.Select((wrapper, w) =>
        {
            var id = $"{prefix}{v}-{w}";
            return (id, string.Format(System.Globalization.CultureInfo.InvariantCulture, wrapper, string.Format(System.Globalization.CultureInfo.InvariantCulture, vector, id)));
        }))];

    /// <summary>Handlers, script URLs and scripts of ours anywhere in the page.</summary>
    private const string DangerousInPage = """
        () => {
            const bad = [];
            for (const el of document.querySelectorAll('*')) {
                for (const a of el.attributes) {
                    const name = a.name.toLowerCase();
                    const value = (a.value || '').replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
                    if (name.startsWith('on')) bad.push(el.tagName + ' ' + name);
                    if (/^(href|src|action|formaction|xlink:href|data|srcdoc)$/.test(name)
                        && (value.startsWith('javascript:') || value.startsWith('vbscript:') || value.startsWith('data:text/html') || value.includes('__xss'))) {
                        bad.push(el.tagName + ' ' + name + '=' + value.slice(0, 40));
                    }
                }
                if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'BASE', 'META', 'FORM'].includes(el.tagName) && (el.outerHTML.includes('__xss'))) bad.push(el.tagName);
            }
            return bad;
        }
        """;

    [Fact]
    public async Task Hundreds_of_payloads_as_model_output_and_template_text_never_run()
    {
        var executed = new ConcurrentBag<string>();
        var dangerous = new List<string>();
        var htmlResponses = 0;
        var withPolicy = 0;
        var page = await browser.NewPageAsync(_app.BaseUrl);
        await page.ExposeFunctionAsync("__xss", (string id) => executed.Add(id));
        page.Dialog += async (_, dialog) =>
        {
            executed.Add($"dialog {dialog.Message}");
            await dialog.DismissAsync();
        };
        page.Response += (_, response) =>
        {
            if (response.Headers.TryGetValue("content-type", out var type) && type.StartsWith("text/html", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref htmlResponses);
                if (response.Headers.ContainsKey("content-security-policy"))
                {
                    Interlocked.Increment(ref withPolicy);
                }
            }
        };
        await page.RegisterAsync("xss@example.com", "Passw0rd!");
        Guid userId;
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            userId = (await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync("xss@example.com"))!.Id;
        }
        async Task CheckPageAsync(string where) =>
            dangerous.AddRange((await page.EvaluateAsync<string[]>(DangerousInPage)).Select(found => $"{where}: {found}"));

        // Stored answers: what a model said, shown when the chat is opened (three chats of about seventy).
        var stored = Payloads("answer-");
        var chats = new List<(Guid Id, int Count)>();
        using (DataScope.ForUser(userId))
        {
            await using var db = await _app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
            foreach (var chunk in stored.Chunk(75))
            {
                var now = DateTimeOffset.UtcNow;
                var chat = new ChatSession { Id = Guid.NewGuid(), UserId = userId, Title = "Payloads", Model = "echo/echo", CreatedAt = now, UpdatedAt = now, LastActivityAt = now };
                db.ChatSessions.Add(chat);
                var sequence = 0;
                Guid? previous = null;
                foreach (var (id, text) in chunk)
                {
                    // One line of turns, each following the one before (messages.parent_id), as the chat writes them.
                    var (question, answer) = (Guid.NewGuid(), Guid.NewGuid());
                    db.Messages.Add(new Message { Id = question, SessionId = chat.Id, ParentId = previous, Sequence = ++sequence, Sender = MessageSender.User, Content = $"Say {id}" });
                    db.Messages.Add(new Message { Id = answer, SessionId = chat.Id, ParentId = question, Sequence = ++sequence, Sender = MessageSender.Assistant, Content = text });
                    previous = answer;
                }
                chats.Add((chat.Id, chunk.Length));
            }
            await db.SaveChangesAsync(Ct);
        }
        foreach (var (chat, count) in chats)
        {
            await page.GotoAsync($"/chat/{chat}");
            await page.WaitForCircuitAsync();
            await Expect(page.Locator("[data-testid=message][data-sender=assistant]")).ToHaveCountAsync(count);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            await CheckPageAsync($"chat {chat}");
        }

        // Live answers: Echo says back what was sent, streamed and rendered as it arrives.
        var live = Payloads("live-").Where((_, i) => i % 9 == 0).ToList();
        await page.GotoAsync("/chat");
        await page.WaitForCircuitAsync();
        await page.ChooseAsync("chat-model", "Echo (offline demo)");
        for (var turn = 0; turn < live.Count; turn++)
        {
            await page.FillAsync("#chat-input", live[turn].Text);
            await page.ClickAsync("[data-testid=send]");
            await Expect(page.Locator("[data-testid=message][data-sender=assistant]").Nth(turn)).ToHaveAttributeAsync("data-status", "complete");
        }
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await CheckPageAsync("live chat");

        // Template text: two versions of a prompt made of payloads, in the editor, the history, the diff and the playground.
        var template = Payloads("template-");
        Guid promptId;
        using (DataScope.ForUser(userId))
        {
            var editor = _app.Services.GetRequiredService<PromptEditor>();
            var first = string.Join("\n", template.Take(template.Count / 2).Select(p => p.Text));
            var second = string.Join("\n", template.Skip(template.Count / 2).Select(p => p.Text));
            var created = await editor.CreateAsync(userId, new PromptDetails("payloads", "Payloads", "", [], PromptVisibility.Private), new PromptContent(first, first), cancellationToken: Ct);
            promptId = created.Value;
            Assert.Null(created.Problem);
            Assert.Null((await editor.SaveVersionAsync(userId, promptId, new PromptContent(second, second), "more", Ct)).Problem);
        }
        await page.GotoAsync($"/prompts/{promptId}");
        await page.WaitForCircuitAsync();
        await Expect(page.Locator("[data-testid=prompt-title]")).ToHaveTextAsync("Payloads");
        await CheckPageAsync("prompt editor");
        foreach (var tab in new[] { "History", "Diff" })
        {
            await page.OpenTabAsync(tab);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            await CheckPageAsync($"prompt {tab}");
        }
        await Expect(page.Locator("[data-testid=diff-right-pane]")).ToContainTextAsync("template-");
        await page.OpenTabAsync("Playground");
        await page.ChooseAsync("play-model", "Echo (offline demo)");
        await page.ClickAsync("[data-testid=play-run]");
        await Expect(page.Locator("[data-testid=play-a-output]")).ToContainTextAsync("template-");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await CheckPageAsync("prompt playground");

        // Controls: the detectors themselves see a script that runs and a script link left in the page.
        await page.EvaluateAsync("() => __xss('control')");
        await page.EvaluateAsync("() => document.body.insertAdjacentHTML('beforeend', '<a href=\"javascript:void(0)\">control</a>')");
        var controlFound = await page.EvaluateAsync<string[]>(DangerousInPage);
        Assert.Contains("control", executed);
        Assert.Single(controlFound);
        executed = new ConcurrentBag<string>(executed.Where(id => id != "control"));

        var payloads = stored.Count + live.Count + template.Count;
        TestContext.Current.TestOutputHelper?.WriteLine($"XSS payloads rendered in Chromium: {payloads} ({stored.Count} stored answers, {live.Count} live answers, {template.Count} in templates); " +
            $"executed {executed.Count}, dangerous links or attributes {dangerous.Count}, HTML responses {htmlResponses}, with a CSP {withPolicy}");
        Assert.True(payloads >= 200, $"only {payloads} payloads");
        Assert.Empty(executed);
        Assert.True(dangerous.Count == 0, string.Join("\n", dangerous));
        Assert.True(htmlResponses > 0);
        Assert.Equal(htmlResponses, withPolicy);
    }

    public async ValueTask DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _app.DisposeAsync();
    }
}
