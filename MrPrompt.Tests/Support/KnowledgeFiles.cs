using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace MrPrompt.Tests.Support;

/// <summary>
/// Small documents of each type the knowledge feature reads, made here by the same libraries people's tools use
/// (PdfPig writes the PDF, the Open XML SDK the Word file), each with a known number of passages.
/// </summary>
public static class KnowledgeFiles
{
    /// <summary>Three sections: three passages.</summary>
    public static byte[] Markdown => Encoding.UTF8.GetBytes("""
        # Orchard handbook

        The orchard opens at dawn and closes at dusk.

        ## Pruning

        Apple trees are pruned in late winter, before the buds swell.

        ## Harvest

        Pears are picked while still firm and ripen indoors.
        """);

    /// <summary>Two headings with text under each (the script and style say nothing): two passages.</summary>
    public static byte[] Html => Encoding.UTF8.GetBytes("""
        <!doctype html><html><head><title>Ignored</title><style>p { color: red }</style></head>
        <body><h1>Lighthouse log</h1><p>The lamp was lit at 18:04 &amp; burned all night.</p>
        <script>document.write('not content')</script>
        <h2>Weather</h2><p>Fog rolled in<br>after midnight.</p></body></html>
        """);

    /// <summary>Two pages, each a paragraph of its own; with <see cref="PdfChunking"/> two passages.</summary>
    public static byte[] Pdf() => Pdf(PdfPages);

    /// <summary>A PDF with one line of text on each page.</summary>
    public static byte[] Pdf(IReadOnlyList<string> pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var line in pages)
        {
            var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            page.AddText(line, 12, new PdfPoint(40, 700), font);
        }
        return builder.Build();
    }

    /// <summary>A 1×1 PNG, the smallest image a vision model is sent.</summary>
    public static byte[] Png { get; } = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    public static IReadOnlyList<string> PdfPages { get; } =
    [
        "Glaciers carve valleys over thousands of years as the ice slowly moves downhill.",
        "Volcanic islands form where magma rises through the ocean floor and cools.",
    ];

    /// <summary>A Word file with a title, two headings and a paragraph under each: two passages.</summary>
    public static byte[] Docx()
    {
        using var stream = new MemoryStream();
        using (var word = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = word.AddMainDocumentPart();
            main.Document = new Document(new Body(
                Paragraph("Heading1", "Bakery recipes"),
                Paragraph("Heading2", "Sourdough"),
                Paragraph(null, "Feed the starter twelve hours before mixing the dough."),
                Paragraph("Heading2", "Rye"),
                Paragraph(null, "Rye dough is sticky; wet your hands instead of flouring them.")));
        }
        return stream.ToArray();
    }

    private static Paragraph Paragraph(string? style, string text)
    {
        var paragraph = new Paragraph();
        if (style is not null)
        {
            paragraph.Append(new ParagraphProperties(new ParagraphStyleId { Val = style }));
        }
        paragraph.Append(new Run(new Text(text)));
        return paragraph;
    }
}
