using System.Net;
using ColorCode;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;

namespace MrPrompt.Web.Rendering;

/// <summary>
/// Code blocks with a language bar, a copy button and server-side highlighting (ColorCode emits spans
/// with classes, which the sanitizer keeps and app.css colours), so no highlighting script runs.
/// </summary>
internal sealed class HighlightedCodeBlockRenderer : HtmlObjectRenderer<CodeBlock>
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cs"] = "c#", ["csharp"] = "c#", ["c#"] = "c#", ["js"] = "javascript", ["javascript"] = "javascript",
        ["jsx"] = "javascript", ["ts"] = "typescript", ["typescript"] = "typescript", ["tsx"] = "typescript",
        ["py"] = "python", ["python"] = "python", ["sql"] = "sql", ["json"] = "json", ["html"] = "html",
        ["xml"] = "xml", ["css"] = "css", ["java"] = "java", ["cpp"] = "cpp", ["c++"] = "cpp", ["c"] = "cpp",
        ["php"] = "php", ["ps"] = "powershell", ["powershell"] = "powershell", ["ps1"] = "powershell",
        ["fs"] = "f#", ["fsharp"] = "f#", ["vb"] = "vb.net", ["haskell"] = "haskell", ["md"] = "markdown",
        ["markdown"] = "markdown", ["python3"] = "python", ["matlab"] = "matlab", ["fortran"] = "fortran",
    };

    protected override void Write(HtmlRenderer renderer, CodeBlock block)
    {
        var info = (block as FencedCodeBlock)?.Info?.Trim() ?? "";
        var code = block.Lines.ToString();
        var language = Aliases.TryGetValue(info, out var id) ? Languages.FindById(id) : null;

        renderer.EnsureLine();
        renderer.Write("<div class=\"mrp-code\"><div class=\"mrp-code-bar\"><span class=\"mrp-code-lang\">")
            .WriteEscape(info.Length == 0 ? "text" : info)
            .Write("</span><button type=\"button\" class=\"mrp-code-copy\">Copy</button></div><pre><code>");
        renderer.Write(language is null ? WebUtility.HtmlEncode(code) : Highlight(code, language));
        renderer.WriteLine("</code></pre></div>");
    }

    /// <summary>ColorCode wraps its spans in its own div and pre; only the spans are kept.</summary>
    private static string Highlight(string code, ILanguage language)
    {
        // A formatter keeps its output writer in a field: one per call, since chats render concurrently.
        var html = new HtmlClassFormatter().GetHtmlString(code, language);
        var start = html.IndexOf("<pre>", StringComparison.Ordinal);
        var end = html.LastIndexOf("</pre>", StringComparison.Ordinal);
        return start < 0 || end < start ? WebUtility.HtmlEncode(code) : html[(start + 5)..end].Trim('\r', '\n');
    }
}
