using Bunit;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Pages.Chat;

namespace MrPrompt.Tests.Components;

/// <summary>The message box: what sends, what does not, and that a double click sends once.</summary>
public sealed class ComposerTests : IAsyncDisposable
{
    private readonly BunitContext _context = MudComponents.CreateContext();
    private readonly List<string> _sent = [];
    private TaskCompletionSource<bool> _answer = new();

    private IRenderedComponent<Composer> Render(bool busy = false, int maxLength = 100) =>
        _context.Render<Composer>(p => p
            .Add(c => c.OnSend, (text, _) =>
            {
                _sent.Add(text);
                return _answer.Task;
            })
            .Add(c => c.Busy, busy)
            .Add(c => c.MaxLength, maxLength));

    [Fact]
    public async Task A_double_click_sends_once()
    {
        var composer = Render();
        await composer.Find("textarea").InputAsync(new() { Value = "Hello" });
        var send = composer.Find("[data-testid=send]");

        var first = send.ClickAsync(new());
        var second = send.ClickAsync(new());
        _answer.SetResult(true);
        await Task.WhenAll(first, second);

        Assert.Equal(["Hello"], _sent);
        Assert.Equal("", composer.Find("textarea").GetAttribute("value") ?? "");
    }

    [Fact]
    public async Task Enter_from_the_keyboard_sends_the_text_it_carries()
    {
        var composer = Render();
        _answer.SetResult(true);

        await composer.InvokeAsync(() => composer.Instance.SubmitFromKeyboard("Line one\nline two"));

        Assert.Equal(["Line one\nline two"], _sent);
    }

    [Fact]
    public async Task A_refused_message_stays_in_the_box()
    {
        var composer = Render();
        await composer.Find("textarea").InputAsync(new() { Value = "Keep me" });
        _answer.SetResult(false);

        await composer.Find("[data-testid=send]").ClickAsync(new());

        Assert.Equal("Keep me", composer.Find("textarea").GetAttribute("value"));
    }

    [Fact]
    public async Task Nothing_is_sent_while_an_answer_is_being_written_or_when_blank()
    {
        var busy = Render(busy: true);
        await busy.Find("textarea").InputAsync(new() { Value = "Wait" });
        Assert.True(busy.Find("[data-testid=send]").HasAttribute("disabled"));
        await busy.InvokeAsync(() => busy.Instance.SubmitFromKeyboard("Wait"));

        var blank = Render();
        await blank.InvokeAsync(() => blank.Instance.SubmitFromKeyboard("   \n "));

        Assert.Empty(_sent);
    }

    [Fact]
    public async Task A_message_over_the_limit_says_so_and_cannot_be_sent()
    {
        var composer = Render(maxLength: 10);
        await composer.Find("textarea").InputAsync(new() { Value = "12345678901" });

        Assert.Equal("Too long: 11 of at most 10 characters.", composer.Find("[data-testid=length-error]").TextContent);
        Assert.True(composer.Find("[data-testid=send]").HasAttribute("disabled"));
        await composer.InvokeAsync(() => composer.Instance.SubmitFromKeyboard("12345678901"));
        Assert.Empty(_sent);
    }

    [Fact]
    public async Task Text_the_browser_kept_for_being_too_long_is_named_by_its_length_until_it_is_shortened()
    {
        var composer = Render(maxLength: 10);
        await composer.Find("textarea").InputAsync(new() { Value = "short" });

        await composer.InvokeAsync(() => composer.Instance.ReportTooLong(33_000));

        Assert.Equal("Too long: 33,000 of at most 10 characters.", composer.Find("[data-testid=length-error]").TextContent);
        Assert.True(composer.Find("[data-testid=send]").HasAttribute("disabled"));
        await composer.Find("textarea").InputAsync(new() { Value = "short again" [..10] });
        Assert.Empty(composer.FindAll("[data-testid=length-error]"));
        Assert.False(composer.Find("[data-testid=send]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Typing_a_slash_into_the_empty_box_asks_for_a_prompt_and_sends_nothing()
    {
        var asked = 0;
        var composer = _context.Render<Composer>(p => p
            .Add(c => c.OnSend, (text, _) =>
            {
                _sent.Add(text);
                return Task.FromResult(true);
            })
            .Add(c => c.OnPromptRequested, () => asked++));

        await composer.Find("textarea").InputAsync(new() { Value = "/" });

        Assert.Equal(1, asked);
        Assert.Empty(_sent);
        Assert.Equal("", composer.Find("textarea").GetAttribute("value") ?? "");

        // A slash inside a message is just text.
        await composer.Find("textarea").InputAsync(new() { Value = "a/b" });
        Assert.Equal(1, asked);
        await composer.Find("[data-testid=use-prompt]").ClickAsync(new());
        Assert.Equal(2, asked);
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
