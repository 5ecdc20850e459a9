using MrPrompt.Domain.Knowledge;

namespace MrPrompt.Tests.Domain;

public sealed class KnowledgeRulesTests
{
    private static readonly ChunkingOptions Small = new(MaxCharacters: 100, OverlapCharacters: 20);

    [Fact]
    public void Each_section_is_cut_on_its_own_and_carries_its_heading_path()
    {
        var text = """
            # Guide
            Intro paragraph.

            ## Install
            Run the installer.

            ### Linux
            Use the package.

            ## Use
            Open the app.
            """;

        var chunks = TextChunker.Split(text, Small);

        Assert.Equal(["Guide", "Guide › Install", "Guide › Install › Linux", "Guide › Use"], chunks.Select(c => c.Heading));
        Assert.Equal(["Intro paragraph.", "Run the installer.", "Use the package.", "Open the app."], chunks.Select(c => c.Content));
        Assert.Equal([0, 1, 2, 3], chunks.Select(c => c.Index));
        Assert.All(chunks, c => Assert.Equal(c.Content, text.ReplaceLineEndings("\n").Substring(c.StartOffset, c.Content.Length)));
    }

    [Fact]
    public void Short_paragraphs_are_packed_whole_and_the_next_passage_repeats_the_end_of_the_last()
    {
        var paragraphs = Enumerable.Range(1, 6).Select(i => $"Paragraph number {i} says a longer thing.").ToList(); // 39 characters each
        var chunks = TextChunker.Split(string.Join("\n\n", paragraphs), Small);

        // Two whole paragraphs (39 + 2 + 39) fit in 100, a third does not; after that each passage holds the
        // 20-character overlap and one paragraph (20 + 2 + 39 + 2 + 39 > 100).
        Assert.Equal(5, chunks.Count);
        Assert.Equal($"{paragraphs[0]}\n\n{paragraphs[1]}", chunks[0].Content);
        Assert.Equal($"says a longer thing.\n\n{paragraphs[2]}", chunks[1].Content);
        Assert.Equal($"says a longer thing.\n\n{paragraphs[5]}", chunks[4].Content);
        // A passage's offset is where its own text starts, not its overlap's.
        Assert.Equal(string.Join("\n\n", paragraphs).IndexOf(paragraphs[2], StringComparison.Ordinal), chunks[1].StartOffset);
        Assert.All(chunks, c => Assert.True(c.Content.Length <= Small.MaxCharacters, c.Content));
    }

    [Fact]
    public void A_paragraph_longer_than_a_passage_is_cut_at_sentence_ends()
    {
        var sentences = Enumerable.Range(1, 8).Select(i => $"Sentence {i} is here.").ToList(); // 20 characters each
        var chunks = TextChunker.Split(string.Join(" ", sentences), Small);

        Assert.True(chunks.Count >= 3);
        Assert.All(chunks, c => Assert.EndsWith(".", c.Content));
        Assert.All(chunks, c => Assert.True(c.Content.Length <= Small.MaxCharacters + 2, c.Content));
        // Every sentence is in some passage, whole.
        Assert.All(sentences, s => Assert.Contains(chunks, c => c.Content.Contains(s, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_text_of_only_headings_and_blank_lines_has_no_passages()
    {
        Assert.Empty(TextChunker.Split("# One\n\n## Two\n\n   \n", Small));
    }

    [Fact]
    public void Non_ascii_text_is_kept_as_written()
    {
        var chunks = TextChunker.Split("# Überblick\nGrüße aus Köln — 東京でも。", Small);

        Assert.Equal("Überblick", Assert.Single(chunks).Heading);
        Assert.Equal("Grüße aus Köln — 東京でも。", chunks[0].Content);
    }

    [Fact]
    public void Reciprocal_rank_fusion_favours_what_both_rankings_found()
    {
        var fused = RankFusion.Fuse<string>([["a", "b", "c"], ["c", "d", "a"]]);

        // a: 1/61 + 1/63; c: 1/63 + 1/61 — equal, a met first; b and d once each.
        Assert.Equal(["a", "c", "b", "d"], fused.Select(f => f.Item));
        Assert.Equal((1.0 / 61) + (1.0 / 63), fused[0].Score, precision: 12);
        Assert.Equal(1.0 / 62, fused[2].Score, precision: 12);
    }

    [Theory]
    [InlineData("notes.MD", DocumentType.Markdown)]
    [InlineData("page.htm", DocumentType.Html)]
    [InlineData("paper.pdf", DocumentType.Pdf)]
    [InlineData("letter.docx", DocumentType.Docx)]
    [InlineData("plain.txt", DocumentType.Text)]
    [InlineData("program.exe", null)]
    [InlineData("old.doc", null)]
    public void A_file_name_says_which_reader_reads_it(string name, DocumentType? expected)
    {
        Assert.Equal(expected, KnowledgeRules.FormatOf(name));
    }
}
