namespace MrPrompt.Web.Rendering;

/// <summary>
/// An answer that grows while it streams, rendered in time proportional to what arrived rather than to
/// the whole answer: each finished block is rendered and sanitized once and kept; only the last, still
/// open block is rendered again on each frame. Blazor sends a kept block's markup to the browser once,
/// since an unchanged markup frame is not diffed again.
/// </summary>
/// <remarks>
/// Finished blocks are rendered on their own, so a reference-style link whose definition comes in a
/// later block shows as text until the answer is complete; the saved message is then rendered whole.
/// </remarks>
public sealed class StreamingMarkdown(MarkdownRenderer renderer)
{
    private readonly List<string> _finished = [];
    private string _text = "";
    private int _finishedLength;

    /// <summary>The HTML of the finished blocks, in order, each kept as it was first rendered.</summary>
    public IReadOnlyList<string> FinishedBlocks => _finished;

    /// <summary>The HTML of the block still being written.</summary>
    public string OpenBlock { get; private set; } = "";

    /// <summary>Characters parsed so far over every update: what this class keeps linear in the answer's length.</summary>
    public long CharactersParsed { get; private set; }

    /// <summary>Takes the answer so far; text that does not continue the previous one starts over.</summary>
    public void Update(string text)
    {
        if (text.Length == _text.Length && string.Equals(text, _text, StringComparison.Ordinal))
        {
            return;
        }
        if (!text.StartsWith(_text.AsSpan(0, _finishedLength), StringComparison.Ordinal))
        {
            _finished.Clear();
            _finishedLength = 0;
        }
        _text = text;
        var open = text[_finishedLength..];
        CharactersParsed += open.Length;
        // Only whole lines decide where blocks end: a line still being typed can change what it is
        // ("#" is a heading until it becomes "#hashtag", a paragraph's continuation).
        var wholeLines = open.LastIndexOf('\n') + 1;
        if (wholeLines > 0 && renderer.FinishedBlocksLength(open[..wholeLines]) is > 0 and var finished)
        {
            _finished.Add(renderer.ToHtml(open[..finished]));
            _finishedLength += finished;
            open = open[finished..];
            CharactersParsed += finished;
        }
        CharactersParsed += open.Length;
        OpenBlock = renderer.ToHtml(open);
    }
}
