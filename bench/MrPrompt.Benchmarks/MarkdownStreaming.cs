using System.Diagnostics;
using System.Globalization;
using System.Text;
using MrPrompt.Web.Rendering;

namespace MrPrompt.Benchmarks;

/// <summary>
/// Server CPU per frame while a long answer streams into the chat: the answer grows by one frame's
/// worth of text (16 characters, about four tokens, at 20 frames a second) and is rendered again, the
/// old way (the whole answer through Markdig and the sanitizer) and the streaming way
/// (<see cref="StreamingMarkdown"/>: finished blocks kept, the open block rendered). Also the markup a
/// frame changes, which is what Blazor sends to the browser.
/// </summary>
public static class MarkdownStreaming
{
    public static int Run(string[] args)
    {
        var tokens = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        var answer = Answer(tokens * 4);
        const int frameCharacters = 16;
        var renderer = new MarkdownRenderer();
        var streaming = new StreamingMarkdown(renderer);

        // Warm-up: JIT and the sanitizer's first parse are not what is measured.
        for (var i = 0; i < 200; i++)
        {
            renderer.ToHtml(answer[..2000]);
        }

        var buckets = new SortedDictionary<int, (double Whole, double Streaming, long WholeMarkup, long StreamingMarkup, int Frames)>();
        var clock = new Stopwatch();
        var previousBlocks = 0;
        for (var length = frameCharacters; length <= answer.Length; length += frameCharacters)
        {
            var text = answer[..length];
            clock.Restart();
            var whole = renderer.ToHtml(text);
            var wholeTime = clock.Elapsed.TotalMicroseconds;
            clock.Restart();
            streaming.Update(text);
            var streamingTime = clock.Elapsed.TotalMicroseconds;
            var changed = streaming.OpenBlock.Length + streaming.FinishedBlocks.Skip(previousBlocks).Sum(b => b.Length);
            previousBlocks = streaming.FinishedBlocks.Count;

            var kilobyte = length / 8192 * 8; // one bucket per 8 KB of answer
            buckets.TryGetValue(kilobyte, out var b);
            buckets[kilobyte] = (b.Whole + wholeTime, b.Streaming + streamingTime, b.WholeMarkup + whole.Length, b.StreamingMarkup + changed, b.Frames + 1);
        }

        Console.WriteLine($"answer: {answer.Length:N0} characters ({tokens:N0} tokens), {answer.Length / frameCharacters:N0} frames of {frameCharacters} characters");
        Console.WriteLine($"characters parsed while streaming: {streaming.CharactersParsed:N0} ({(double)streaming.CharactersParsed / answer.Length:0.0} per character of answer)");
        Console.WriteLine("| answer so far | whole: CPU per frame | streaming: CPU per frame | whole: markup per frame | streaming: markup per frame |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var (kb, b) in buckets)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kb}–{kb + 8} KB | {b.Whole / b.Frames:0} µs | {b.Streaming / b.Frames:0} µs | {b.WholeMarkup / b.Frames:N0} B | {b.StreamingMarkup / b.Frames:N0} B |"));
        }
        return 0;
    }

    /// <summary>An answer shaped like a model's: headings, paragraphs, lists, code and a table, repeated.</summary>
    private static string Answer(int characters)
    {
        var section = """
            ## Step {0}: what changes

            The request passes through **the gateway** before it reaches the provider, and each layer adds
            a little work: the key check, the limits, the usage row. Here is what that means for *you*.

            - The first item explains the `retry` policy and why it waits.
            - The second item links to [the docs](https://example.com/docs/{0}).
            - A third item, longer than the others, says that nothing here is free and that every
              microsecond spent before the first byte is felt by the person waiting.

            ```csharp
            public static int Step{0}(int value)
            {{
                var doubled = value * 2;
                return doubled + {0};
            }}
            ```

            | layer | cost | note |
            | --- | ---: | --- |
            | retry | 1 µs | nothing until a failure |
            | usage | 2 µs | one row per attempt |

            > A quote to close the section, with a footnote-like remark and an emoji 🚀.


            """;
        var text = new StringBuilder();
        for (var i = 1; text.Length < characters; i++)
        {
            text.Append(string.Format(CultureInfo.InvariantCulture, section, i));
        }
        return text.ToString(0, characters);
    }
}
