using System.Text;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Knowledge;

public sealed class DocumentTextTests
{
    [Fact]
    public void Markdown_keeps_its_headings_and_paragraphs()
    {
        var chunks = TextChunker.Split(DocumentText.Extract(DocumentType.Markdown, KnowledgeFiles.Markdown), ChunkingOptions.Default);

        Assert.Equal(["Orchard handbook", "Orchard handbook › Pruning", "Orchard handbook › Harvest"], chunks.Select(c => c.Heading));
        Assert.Equal("Apple trees are pruned in late winter, before the buds swell.", chunks[1].Content);
    }

    [Fact]
    public void Html_headings_become_headings_and_scripts_styles_and_tags_go()
    {
        var text = DocumentText.Extract(DocumentType.Html, KnowledgeFiles.Html);
        var chunks = TextChunker.Split(text, ChunkingOptions.Default);

        Assert.Equal(["Lighthouse log", "Lighthouse log › Weather"], chunks.Select(c => c.Heading));
        Assert.Equal("The lamp was lit at 18:04 & burned all night.", chunks[0].Content);
        Assert.Equal("Fog rolled in after midnight.", chunks[1].Content);
        Assert.DoesNotContain("not content", text);
        Assert.DoesNotContain("color", text);
        Assert.DoesNotContain("Ignored", text);
    }

    [Fact]
    public void A_pdf_gives_each_page_as_a_paragraph()
    {
        var text = DocumentText.Extract(DocumentType.Pdf, KnowledgeFiles.Pdf());
        var chunks = TextChunker.Split(text, new ChunkingOptions(MaxCharacters: 100, OverlapCharacters: 0));

        Assert.Equal(KnowledgeFiles.PdfPages, chunks.Select(c => c.Content));
    }

    [Fact]
    public void A_word_file_gives_heading_styles_as_headings()
    {
        var chunks = TextChunker.Split(DocumentText.Extract(DocumentType.Docx, KnowledgeFiles.Docx()), ChunkingOptions.Default);

        Assert.Equal(["Bakery recipes › Sourdough", "Bakery recipes › Rye"], chunks.Select(c => c.Heading));
        Assert.Equal("Feed the starter twelve hours before mixing the dough.", chunks[0].Content);
    }

    [Theory]
    [InlineData(DocumentType.Pdf)]
    [InlineData(DocumentType.Docx)]
    public void A_damaged_file_is_refused_in_words(DocumentType type)
    {
        var failure = Assert.Throws<UnreadableDocumentException>(() => DocumentText.Extract(type, Encoding.UTF8.GetBytes("this is not a real file")));

        Assert.Contains("could not be read", failure.Message);
    }

    [Fact]
    public void Text_that_is_not_utf8_is_refused_in_words()
    {
        var failure = Assert.Throws<UnreadableDocumentException>(() => DocumentText.Extract(DocumentType.Text, [0x48, 0xE9, 0x6C, 0x6C, 0x6F])); // "Héllo" in Latin-1

        Assert.Contains("UTF-8", failure.Message);
    }
}
