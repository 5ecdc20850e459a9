using Ganss.Xss;
using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html;

namespace MrPrompt.Web.Rendering;

/// <summary>
/// Model output to safe HTML: Markdig renders Markdown with raw HTML switched off (any tag in the
/// text stays text), then HtmlSanitizer keeps only the elements and attributes Markdown produces. No
/// script, event handler or <c>javascript:</c> link can come through either step.
/// </summary>
public sealed class MarkdownRenderer
{
    private readonly MarkdownPipeline _pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseGridTables()
        .UseTaskLists()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .UseListExtras()
        .UseSoftlineBreakAsHardlineBreak()
        .Build();

    private readonly HtmlSanitizer _sanitizer = SafeMarkup.CreateSanitizer();

    /// <summary>
    /// Where the last top-level block of <paramref name="markdown"/> begins (the start of its line), or 0
    /// when there is only one: every block before it is finished, because a later block has begun, and
    /// renders the same whatever text is appended.
    /// </summary>
    public int FinishedBlocksLength(string markdown)
    {
        try
        {
            var document = Markdown.Parse(markdown, _pipeline);
            if (document.Count < 2)
            {
                return 0;
            }
            var lastStart = Math.Clamp(document[^1].Span.Start, 0, markdown.Length);
            return lastStart == 0 ? 0 : markdown.LastIndexOf('\n', lastStart - 1) + 1;
        }
        catch (ArgumentException)
        {
            return 0; // pathological nesting: rendered whole as plain text below
        }
    }

    public string ToHtml(string? markdown)
    {
        if (string.IsNullOrEmpty(markdown))
        {
            return "";
        }
        try
        {
            using var writer = new StringWriter();
            var renderer = new HtmlRenderer(writer);
            _pipeline.Setup(renderer);
            renderer.ObjectRenderers.Replace<CodeBlockRenderer>(new HighlightedCodeBlockRenderer());
            renderer.Render(Markdown.Parse(markdown, _pipeline));
            writer.Flush();
            return _sanitizer.Sanitize(writer.ToString());
        }
        catch (ArgumentException)
        {
            // Markdig refuses pathological nesting (hundreds of levels); such output is shown as plain text
            // rather than making the chat impossible to open.
            return "<pre class=\"mrp-plain\">" + System.Net.WebUtility.HtmlEncode(markdown) + "</pre>";
        }
    }
}
