using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using SourceFormat = MrPrompt.Domain.Knowledge.DocumentType;

namespace MrPrompt.Infrastructure.Knowledge;

/// <summary>A document that could not be read, with the reason in words.</summary>
public sealed class UnreadableDocumentException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The text of a document in the one shape the chunker reads: Markdown-style headings (<c># Title</c>) and paragraphs
/// between blank lines. HTML headings and Word heading styles become headings; a PDF's pages become paragraphs (PDF
/// keeps no headings).
/// </summary>
public static partial class DocumentText
{
    /// <summary>More text than this from one document is refused: a decompression bomb, not a document to cite.</summary>
    public const int MaxCharacters = 50_000_000;

    public static string Extract(SourceFormat format, byte[] source)
    {
        try
        {
            return Clean(format switch
            {
                SourceFormat.Text or SourceFormat.Markdown => Decode(source),
                SourceFormat.Html => FromHtml(Decode(source)),
                SourceFormat.Pdf => FromPdf(source),
                SourceFormat.Docx => FromDocx(source),
                _ => throw new UnreadableDocumentException($"Documents of type {format} cannot be read."),
            });
        }
        catch (Exception ex) when (ex is not UnreadableDocumentException)
        {
            throw new UnreadableDocumentException($"This {format.ToString().ToUpperInvariant()} file could not be read ({ex.GetType().Name}); is it damaged or protected?", ex);
        }
    }

    /// <summary>
    /// Text Postgres and the chunker can hold: no NUL or other control characters (line breaks and tabs stay), no half
    /// of a surrogate pair (a damaged file's), and not more than <see cref="MaxCharacters"/>.
    /// </summary>
    internal static string Clean(string text)
    {
        if (text.Length > MaxCharacters)
        {
            throw new UnreadableDocumentException($"The document holds more than {MaxCharacters:N0} characters of text; split it into smaller documents.");
        }
        var clean = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                clean.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                clean.Append('\uFFFD');
            }
            else if (!char.IsControl(c) || c is '\n' or '\r' or '\t')
            {
                clean.Append(c);
            }
        }
        return clean.ToString();
    }

    private static string Decode(byte[] source)
    {
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true);
        try
        {
            return text.GetString(source).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new UnreadableDocumentException("The text is not UTF-8; save it as UTF-8 and upload it again.");
        }
    }

    private static string FromHtml(string html)
    {
        var body = NotContent().Replace(html, " ");
        body = HtmlHeading().Replace(body, m => $"\n\n{new string('#', m.Groups[1].Value[0] - '0')} {Inline(m.Groups[2].Value)}\n\n");
        body = BlockBoundary().Replace(body, "\n\n");
        body = LineBreak().Replace(body, "\n");
        return WebUtility.HtmlDecode(Tag().Replace(body, ""));
    }

    private static string Inline(string html) => WebUtility.HtmlDecode(Tag().Replace(html, "")).Replace('\n', ' ').Trim();

    private static string FromPdf(byte[] source)
    {
        using var pdf = PdfDocument.Open(source);
        var text = new StringBuilder();
        foreach (var page in pdf.GetPages())
        {
            var pageText = ContentOrderTextExtractor.GetText(page);
            if (!string.IsNullOrWhiteSpace(pageText))
            {
                text.Append(pageText.Trim()).Append("\n\n");
            }
        }
        return text.ToString();
    }

    private static string FromDocx(byte[] source)
    {
        using var stream = new MemoryStream(source, writable: false);
        // A part that expands past the text limit is a zip bomb: the SDK stops reading it there.
        using var word = WordprocessingDocument.Open(stream, false, new DocumentFormat.OpenXml.Packaging.OpenSettings { MaxCharactersInPart = MaxCharacters });
        var body = word.MainDocumentPart?.Document?.Body ?? throw new UnreadableDocumentException("This Word file has no body.");
        var text = new StringBuilder();
        foreach (var paragraph in body.Descendants<Paragraph>())
        {
            var content = string.Concat(paragraph.Descendants<Text>().Select(t => t.Text)).Trim();
            if (content.Length == 0)
            {
                continue;
            }
            var style = paragraph.ParagraphProperties?.ParagraphStyleId?.Val?.Value ?? "";
            if (WordHeading().Match(style) is { Success: true } heading)
            {
                text.Append(new string('#', Math.Clamp(int.Parse(heading.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 6))).Append(' ');
            }
            else if (style.Equals("Title", StringComparison.OrdinalIgnoreCase))
            {
                text.Append("# ");
            }
            text.Append(content).Append("\n\n");
        }
        return text.ToString();
    }

    [GeneratedRegex(@"<(script|style|head|noscript|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex NotContent();

    [GeneratedRegex(@"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex HtmlHeading();

    [GeneratedRegex(@"</?(p|div|section|article|li|ul|ol|table|tr|blockquote|pre|header|footer|main|nav)\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BlockBoundary();

    [GeneratedRegex(@"<br\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreak();

    [GeneratedRegex(@"<[^>]*>", RegexOptions.Singleline)]
    private static partial Regex Tag();

    [GeneratedRegex(@"^Heading\s*([1-9])$", RegexOptions.IgnoreCase)]
    private static partial Regex WordHeading();
}
