using System.Text;
using System.Text.RegularExpressions;

namespace MrPrompt.Domain.Knowledge;

/// <summary>How long passages are and how much of the previous passage each one repeats.</summary>
public sealed record ChunkingOptions(int MaxCharacters = 1200, int OverlapCharacters = 150)
{
    public static ChunkingOptions Default { get; } = new();

    /// <summary>The longest piece a paragraph too long for one passage is cut into, leaving room for the overlap.</summary>
    internal int PieceCharacters => Math.Max(1, MaxCharacters - OverlapCharacters - 2);
}

/// <summary>One passage cut from a document's text.</summary>
public sealed record TextChunk(int Index, string? Heading, string Content, int StartOffset);

/// <summary>
/// Cuts a document's text (Markdown-style headings, paragraphs between blank lines; every extractor writes that
/// shape) into passages for retrieval: a passage never spans two sections, so it sits under one heading path;
/// paragraphs are packed whole while they fit; a paragraph too long for one passage is cut at sentence ends (words,
/// when a sentence is too long); each passage after the first in a section starts with the end of the one before,
/// so a fact split across the cut is still whole in one of them.
/// </summary>
public static partial class TextChunker
{
    private const string HeadingSeparator = " › ";

    public static IReadOnlyList<TextChunk> Split(string text, ChunkingOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxCharacters, 50);
        ArgumentOutOfRangeException.ThrowIfNegative(options.OverlapCharacters);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.OverlapCharacters, options.MaxCharacters / 2);

        var chunks = new List<TextChunk>();
        foreach (var section in Sections(text.ReplaceLineEndings("\n")))
        {
            PackSection(section, options, chunks);
        }
        return chunks;
    }

    private sealed record Paragraph(string Text, int Offset);

    private sealed record Section(string? Heading, List<Paragraph> Paragraphs);

    private static List<Section> Sections(string text)
    {
        var sections = new List<Section>();
        var headings = new string?[6];
        var current = new Section(null, []);
        var paragraph = new StringBuilder();
        var paragraphStart = 0;
        var offset = 0;

        void EndParagraph()
        {
            if (paragraph.Length > 0)
            {
                current.Paragraphs.Add(new Paragraph(paragraph.ToString(), paragraphStart));
                paragraph.Clear();
            }
        }

        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.Trim();
            if (HeadingLine().Match(trimmed) is { Success: true } heading)
            {
                EndParagraph();
                if (current.Paragraphs.Count > 0)
                {
                    sections.Add(current);
                }
                var level = heading.Groups[1].Length - 1;
                headings[level] = heading.Groups[2].Value.Trim();
                Array.Clear(headings, level + 1, headings.Length - level - 1);
                current = new Section(Shortened(string.Join(HeadingSeparator, headings.Where(h => h is not null))), []);
            }
            else if (trimmed.Length == 0)
            {
                EndParagraph();
            }
            else
            {
                if (paragraph.Length == 0)
                {
                    paragraphStart = offset + (line.Length - line.TrimStart().Length);
                }
                else
                {
                    paragraph.Append(' ');
                }
                paragraph.Append(WhiteSpace().Replace(trimmed, " "));
            }
            offset += line.Length + 1;
        }
        EndParagraph();
        if (current.Paragraphs.Count > 0)
        {
            sections.Add(current);
        }
        return sections;
    }

    private static void PackSection(Section section, ChunkingOptions options, List<TextChunk> chunks)
    {
        var pieces = section.Paragraphs.SelectMany(p => p.Text.Length <= options.MaxCharacters
            ? [p]
            : Cut(p, options.PieceCharacters)).ToList();

        var content = new StringBuilder();
        var start = 0;
        var hasOwnText = false;
        foreach (var piece in pieces)
        {
            if (hasOwnText && content.Length + 2 + piece.Text.Length > options.MaxCharacters)
            {
                var previous = content.ToString();
                chunks.Add(new TextChunk(chunks.Count, section.Heading, previous, start));
                content.Clear();
                if (Tail(previous, options.OverlapCharacters) is { Length: > 0 } overlap)
                {
                    content.Append(overlap);
                }
                hasOwnText = false;
            }
            if (!hasOwnText)
            {
                start = piece.Offset;
            }
            if (content.Length > 0)
            {
                content.Append("\n\n");
            }
            content.Append(piece.Text);
            hasOwnText = true;
        }
        if (hasOwnText)
        {
            chunks.Add(new TextChunk(chunks.Count, section.Heading, content.ToString(), start));
        }
    }

    /// <summary>A heading path cut to <see cref="KnowledgeRules.MaxHeadingLength"/>, never inside a surrogate pair.</summary>
    private static string Shortened(string heading) =>
        heading.Length <= KnowledgeRules.MaxHeadingLength ? heading : heading[..WholeCharacters(heading, KnowledgeRules.MaxHeadingLength)] + "…";

    /// <summary><paramref name="length"/>, or one less when that would end between the halves of a surrogate pair.</summary>
    private static int WholeCharacters(string text, int length) =>
        length > 0 && length < text.Length && char.IsLowSurrogate(text[length]) ? length - 1 : length;

    /// <summary>A paragraph longer than a passage, in pieces of at most <paramref name="limit"/> cut at sentence ends, else at spaces.</summary>
    private static IEnumerable<Paragraph> Cut(Paragraph paragraph, int limit)
    {
        var text = paragraph.Text;
        var position = 0;
        while (position < text.Length)
        {
            var length = Math.Min(limit, text.Length - position);
            if (position + length < text.Length)
            {
                var window = text.AsSpan(position, length);
                var sentenceEnd = LastSentenceEnd(window);
                var cut = sentenceEnd > limit / 3 ? sentenceEnd : window.LastIndexOf(' ') is var space && space > limit / 3 ? space + 1 : length;
                length = WholeCharacters(text, position + cut) - position;
            }
            var piece = text.Substring(position, length).Trim();
            if (piece.Length > 0)
            {
                yield return new Paragraph(piece, paragraph.Offset + position);
            }
            position += length;
        }
    }

    private static int LastSentenceEnd(ReadOnlySpan<char> window)
    {
        for (var i = window.Length - 2; i >= 0; i--)
        {
            if (window[i] is '.' or '!' or '?' or '。' && window[i + 1] == ' ')
            {
                return i + 2;
            }
        }
        return -1;
    }

    /// <summary>About the last <paramref name="length"/> characters of a passage, from the start of a word.</summary>
    private static string Tail(string text, int length)
    {
        if (length == 0)
        {
            return "";
        }
        if (text.Length <= length)
        {
            return text;
        }
        var start = text.Length - length;
        if (char.IsLowSurrogate(text[start]))
        {
            start++; // never begin with the second half of a pair
        }
        if (!char.IsWhiteSpace(text[start - 1]))
        {
            var space = text.AsSpan(start).IndexOfAny(' ', '\n');
            start = space < 0 ? start : start + space + 1;
        }
        return text[start..].TrimStart();
    }

    [GeneratedRegex(@"^(#{1,6})\s+(\S.*)$")]
    private static partial Regex HeadingLine();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
