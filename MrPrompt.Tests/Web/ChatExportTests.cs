using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>Downloading a chat through the real HTTP pipeline: its owner gets the file, nobody else does.</summary>
public sealed class ChatExportTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpClient Client, Guid UserId)> SignedInAsync()
    {
        var email = $"export-{Guid.NewGuid():N}@example.com";
        var client = app.CreateClient();
        await AccountForms.RegisterAsync(client, email, "Passw0rd!");
        await AccountForms.SignInAsync(client, email, "Passw0rd!");
        await using var scope = app.Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email);
        return (client, user!.Id);
    }

    private async Task<Guid> EchoChatAsync(Guid userId, string text)
    {
        var exchange = (await app.Services.GetRequiredService<ChatService>().StartChatAsync(userId, new SessionSettings("echo/echo"), text, Ct)).Value!;
        await app.Services.GetRequiredService<GenerationRunner>().Find(exchange.AssistantMessageId)!.Finished.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        return exchange.SessionId;
    }

    [Fact]
    public async Task The_owner_downloads_markdown_and_json()
    {
        var (client, userId) = await SignedInAsync();
        var sessionId = await EchoChatAsync(userId, "Export me please — Grüße, 世界");

        var markdown = await client.GetAsync($"/api/chats/{sessionId}/export?format=md", Ct);
        var json = await client.GetAsync($"/api/chats/{sessionId}/export?format=json", Ct);

        Assert.Equal(HttpStatusCode.OK, markdown.StatusCode);
        Assert.Equal("text/markdown", markdown.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("export-me-please-", markdown.Content.Headers.ContentDisposition!.FileNameStar ?? markdown.Content.Headers.ContentDisposition.FileName, StringComparison.Ordinal);
        Assert.Contains("## You", await markdown.Content.ReadAsStringAsync(Ct));
        var raw = await json.Content.ReadAsStringAsync(Ct);
        Assert.Contains("Export me please — Grüße, 世界", raw, StringComparison.Ordinal); // written as text, not \u escapes
        using var document = JsonDocument.Parse(raw);
        Assert.Equal(["Export me please — Grüße, 世界", "Export me please — Grüße, 世界"],
            document.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task An_export_follows_the_branch_shown()
    {
        var (client, userId) = await SignedInAsync();
        var sessionId = await EchoChatAsync(userId, "The first wording");
        var chat = app.Services.GetRequiredService<ChatService>();
        var firstQuestion = (await app.Services.GetRequiredService<ChatSessionStore>().GetAsync(userId, sessionId, Ct))!.Messages[0].Id;
        var edited = (await chat.EditAndResendAsync(userId, firstQuestion, "The second wording", Ct)).Value!;
        await app.Services.GetRequiredService<GenerationRunner>().Find(edited.AssistantMessageId)!.Finished.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        // The messages, below the heading (which carries the chat's title).
        var onSecond = string.Join('\n', (await client.GetStringAsync($"/api/chats/{sessionId}/export?format=md", Ct)).Split('\n').Skip(1));
        await app.Services.GetRequiredService<ChatSessionStore>().SwitchBranchAsync(userId, sessionId, firstQuestion, Ct);
        var onFirst = string.Join('\n', (await client.GetStringAsync($"/api/chats/{sessionId}/export?format=md", Ct)).Split('\n').Skip(1));

        Assert.Contains("The second wording", onSecond, StringComparison.Ordinal);
        Assert.DoesNotContain("The first wording", onSecond, StringComparison.Ordinal);
        Assert.Contains("The first wording", onFirst, StringComparison.Ordinal);
        Assert.DoesNotContain("The second wording", onFirst, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_user_gets_not_found_and_a_bad_format_a_clear_400()
    {
        var (_, owner) = await SignedInAsync();
        var sessionId = await EchoChatAsync(owner, "Secret");
        var (intruder, _) = await SignedInAsync();

        var stolen = await intruder.GetAsync($"/api/chats/{sessionId}/export?format=md", Ct);
        var badFormat = await intruder.GetAsync($"/api/chats/{sessionId}/export?format=pdf", Ct);
        var anonymous = await app.CreateClient().GetAsync($"/api/chats/{sessionId}/export?format=md", Ct);

        Assert.Equal(HttpStatusCode.NotFound, stolen.StatusCode);
        Assert.DoesNotContain("Secret", await stolen.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, badFormat.StatusCode);
        Assert.Contains("format=md", await badFormat.Content.ReadAsStringAsync(Ct));
        Assert.NotEqual(HttpStatusCode.OK, anonymous.StatusCode);
    }
}
