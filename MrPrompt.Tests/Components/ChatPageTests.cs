using System.Security.Claims;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Pages.Chat;
using MrPrompt.Web.Rendering;

namespace MrPrompt.Tests.Components;

/// <summary>
/// The chat page's own logic over the real chat services, gateway and fake upstream: someone else's
/// chat opened by its address shows nothing of it, and a new chat moves to its own address and keeps
/// its turns in order across two exchanges.
/// </summary>
public sealed class ChatPageTests(ChatFixture fixture) : IClassFixture<ChatFixture>, IAsyncDisposable
{
    private readonly BunitContext _context = MudComponents.CreateContext();

    private async Task<Guid> SignInAsync()
    {
        var user = await fixture.NewUserAsync();
        foreach (var service in new[] { typeof(ChatService), typeof(ChatSessionStore), typeof(UserModelCatalog), typeof(ChatEvents), typeof(GenerationRunner), typeof(MrPrompt.Infrastructure.Knowledge.KnowledgeService) })
        {
            _context.Services.AddSingleton(service, fixture.Services.GetRequiredService(service));
        }
        _context.Services.AddSingleton<MarkdownRenderer>();
        _context.AddAuthorization().SetAuthorized("person@example.com").SetClaims(new Claim(ClaimTypes.NameIdentifier, user.ToString()));
        return user;
    }

    [Fact]
    public async Task Someone_elses_chat_opened_by_its_address_is_not_found_and_shows_none_of_it()
    {
        var owner = await fixture.NewUserAsync();
        var theirs = (await fixture.Chat.StartChatAsync(owner, new SessionSettings(ChatFixture.OpenAIModel), "PRIVATE question", Xunit.TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(theirs.AssistantMessageId);
        await SignInAsync();

        var page = _context.Render<ChatPage>(p => p.Add(c => c.SessionId, theirs.SessionId));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=chat-not-found]")), TimeSpan.FromSeconds(30));
        Assert.Empty(page.FindAll("[data-testid=message]"));
        Assert.DoesNotContain("PRIVATE", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_chat_moves_to_its_own_address_and_keeps_two_turns_in_order()
    {
        await SignInAsync();
        var page = _context.Render<ChatPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=chat-empty]")), TimeSpan.FromSeconds(30));

        await SendAsync(page, "First question, ünïcödé 🚀");
        var address = _context.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri;
        var sessionId = Guid.Parse(address[(address.LastIndexOf('/') + 1)..]);
        page.Render(p => p.Add(c => c.SessionId, sessionId)); // what the router does on the new address
        Answered(page, 2);

        await SendAsync(page, "Second question");
        Answered(page, 4);

        var senders = page.FindAll("[data-testid=message]").Select(m => m.GetAttribute("data-sender")).ToList();
        Assert.Equal(["user", "assistant", "user", "assistant"], senders);
        var questions = page.FindAll("[data-testid=message][data-sender=user] [data-testid=message-text]").Select(m => m.TextContent.Trim()).ToList();
        Assert.Equal(["First question, ünïcödé 🚀", "Second question"], questions);
    }

    private static async Task SendAsync(IRenderedComponent<ChatPage> page, string text)
    {
        await page.Find("textarea").InputAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = text });
        // bUnit's default wait is one second: too short on two busy cores.
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=send]").HasAttribute("disabled")), TimeSpan.FromSeconds(30));
        await page.Find("[data-testid=send]").ClickAsync(new());
    }

    /// <summary>Waits until the page shows <paramref name="count"/> messages and none is still being written.</summary>
    private static void Answered(IRenderedComponent<ChatPage> page, int count) =>
        page.WaitForAssertion(() =>
        {
            var messages = page.FindAll("[data-testid=message]");
            Assert.Equal(count, messages.Count);
            Assert.DoesNotContain(messages, m => m.GetAttribute("data-status") == "streaming");
        }, TimeSpan.FromSeconds(30));

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
