using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Shared;
using MrPrompt.Web.Rendering;

namespace MrPrompt.Tests.Components;

/// <summary>
/// A long answer rendered while it streams: the same HTML as rendering it whole, for work that grows
/// with the answer rather than with its square, and finished blocks never rendered again.
/// </summary>
public sealed class StreamingMarkdownTests : IAsyncDisposable
{
    private readonly MarkdownRenderer _renderer = new();
    private readonly BunitContext _context = MudComponents.CreateContext();

    public StreamingMarkdownTests() => _context.Services.AddSingleton(_renderer);

    /// <summary>Headings, paragraphs, lists, fenced code, a table and a quote, as models write them.</summary>
    private static string Answer(int sections) => string.Concat(Enumerable.Range(1, sections).Select(i => $"""
        ## Step {i}: what changes

        The request passes through **the gateway**, with *emphasis*, `code` and ünïcödé 🚀.

        - one item with [a link](https://example.com/{i})
        - a second item
          that continues on a second line

        1. first
        2. second

        ```csharp
        var x = {i}; // <b>not bold</b>

        return x;
        ```

        | layer | cost |
        | --- | ---: |
        | retry | {i} µs |

        > a quote
        lazily continued
        Setext heading {i}
        ---


        """));

    [Fact]
    public void Streamed_in_small_pieces_the_html_is_the_same_as_rendering_the_text_whole_at_every_step()
    {
        var answer = Answer(6);
        var streaming = new StreamingMarkdown(_renderer);

        for (var length = 7; length <= answer.Length; length += 7)
        {
            var text = answer[..length];
            streaming.Update(text);
            Assert.Equal(_renderer.ToHtml(text), string.Concat(streaming.FinishedBlocks) + streaming.OpenBlock);
        }
        Assert.True(streaming.FinishedBlocks.Count > 20, $"{streaming.FinishedBlocks.Count} finished blocks");
    }

    [Theory]
    [InlineData("Intro\n#", "hashtag and more")]
    [InlineData("Intro\n```", "x``` inline")]
    [InlineData("Intro\n***", "Note:*** bold")]
    [InlineData("> quoted\n***", "bold*** lazily")]
    public void A_line_still_being_typed_does_not_end_the_block_before_it(string sofar, string rest)
    {
        var streaming = new StreamingMarkdown(_renderer);

        streaming.Update(sofar);
        streaming.Update(sofar + rest);

        Assert.Equal(_renderer.ToHtml(sofar + rest), string.Concat(streaming.FinishedBlocks) + streaming.OpenBlock);
    }

    [Fact]
    public void The_work_grows_with_the_answer_not_with_its_square()
    {
        var answer = Answer(150); // about 80,000 characters, a 20,000-token answer
        var streaming = new StreamingMarkdown(_renderer);

        for (var length = 16; length <= answer.Length; length += 16)
        {
            streaming.Update(answer[..length]);
        }

        // Rendering the whole answer on each of its 5,000 frames would parse 200 million characters.
        Assert.InRange(streaming.CharactersParsed, answer.Length, 40L * answer.Length);
    }

    [Fact]
    public void Text_that_does_not_continue_the_previous_starts_over()
    {
        var streaming = new StreamingMarkdown(_renderer);
        streaming.Update("# First\n\nold paragraph\n\nmore");

        streaming.Update("# Other\n\nnew");

        Assert.Equal(_renderer.ToHtml("# Other\n\nnew"), string.Concat(streaming.FinishedBlocks) + streaming.OpenBlock);
        Assert.DoesNotContain("First", string.Concat(streaming.FinishedBlocks));
    }

    [Fact]
    public void A_streaming_view_shows_the_finished_blocks_and_the_open_one_sanitized()
    {
        var view = _context.Render<MarkdownView>(p => p.Add(v => v.Text, "# Title\n\nfirst para").Add(v => v.Streaming, true));
        Assert.Equal("first para", view.Find("p").TextContent);

        view.Render(p => p.Add(v => v.Text, "# Title\n\nfirst paragraph\n\n- a <script>x</script> list"));

        Assert.Equal("Title", view.Find("h1").TextContent);
        Assert.Equal("first paragraph", view.Find("p").TextContent);
        Assert.Equal("a <script>x</script> list", view.Find("li").TextContent);
        Assert.Empty(view.FindAll("script"));
    }

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
