using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>The app with a low bar for sending a document whole, so a two-page PDF goes to the chat's own knowledge.</summary>
public sealed class AttachmentApp(PostgresServer server) : ApiGatewayApp(server)
{
    public const int InlineCharacters = 100;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Chat:InlineAttachmentCharacters"] = InlineCharacters.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Chat:GenerateTitles"] = "false";
    }
}

/// <summary>
/// Files sent with messages, through the real SDK to the fake upstream: images as image content to a model that sees,
/// short documents whole, longer ones searched in the chat's own knowledge and cited; owner-only, deleted with the chat.
/// </summary>
public sealed class AttachmentTests(AttachmentApp app) : IClassFixture<AttachmentApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly SessionSettings Vision = new(ApiGatewayApp.PricedModel);

    private ChatService Chat => app.Services.GetRequiredService<ChatService>();

    private ChatSessionStore Sessions => app.Services.GetRequiredService<ChatSessionStore>();

    private async Task<Message> FinishedAsync(Guid messageId)
    {
        if (app.Services.GetRequiredService<GenerationRunner>().Find(messageId) is { } live)
        {
            await live.Finished.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        }
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        return await db.Messages.AsNoTracking().SingleAsync(m => m.Id == messageId, Ct);
    }

    /// <summary>The user turns of the last answer request whose text holds <paramref name="marker"/>.</summary>
    private JsonArray UserTurnsSentWith(string marker)
    {
        var body = app.Upstream.Requests.Last(r => r.IsChat && r.Body!.Contains(marker, StringComparison.Ordinal)).Body!;
        return new JsonArray(JsonNode.Parse(body)!["messages"]!.AsArray().Where(m => m!["role"]!.GetValue<string>() == "user").Select(m => m!.DeepClone()).ToArray());
    }

    [Fact]
    public async Task An_image_goes_to_a_vision_model_as_image_content_and_stays_in_the_history()
    {
        var user = await TestUsers.RegisterAsync(app.Services);
        var sent = await Chat.StartChatAsync(user, Vision, "What is in this picture?", null, [new NewAttachment("dot.png", "image/png", KnowledgeFiles.Png)], Ct);
        Assert.True(sent.Succeeded, sent.Problem?.Message);
        await FinishedAsync(sent.Value!.AssistantMessageId);

        var first = UserTurnsSentWith("What is in this picture?")[0]!["content"]!.AsArray();
        Assert.Equal("What is in this picture?", first[0]!["text"]!.GetValue<string>());
        Assert.Equal("image_url", first[1]!["type"]!.GetValue<string>());
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(KnowledgeFiles.Png), first[1]!["image_url"]!["url"]!.GetValue<string>());

        // The job row names the image by its attachment; it does not copy its bytes.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            var payload = await db.GenerationJobs.AsNoTracking().Where(j => j.MessageId == sent.Value.AssistantMessageId).Select(j => j.Payload).SingleAsync(Ct);
            Assert.DoesNotContain(Convert.ToBase64String(KnowledgeFiles.Png), payload, StringComparison.Ordinal);
        }
        var next = (await Chat.SendAsync(user, sent.Value.SessionId, "And its colour?", Ct)).Value!;
        await FinishedAsync(next.AssistantMessageId);
        var history = UserTurnsSentWith("And its colour?");
        Assert.Contains("image_url", history[0]!.ToJsonString(), StringComparison.Ordinal);

        // Reworded, the question keeps its image.
        var firstQuestion = sent.Value.UserMessageId!.Value;
        var edited = (await Chat.EditAndResendAsync(user, firstQuestion, "What colour is this dot?", Ct)).Value!;
        await FinishedAsync(edited.AssistantMessageId);
        Assert.Contains("image_url", UserTurnsSentWith("What colour is this dot?")[0]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Single((await Sessions.GetAsync(user, sent.Value.SessionId, Ct))!.Attachments[edited.UserMessageId!.Value]);
        Assert.Null(await Sessions.SwitchBranchAsync(user, sent.Value.SessionId, firstQuestion, Ct));

        var view = (await Sessions.GetAsync(user, sent.Value.SessionId, Ct))!;
        var shown = Assert.Single(view.AttachmentsOf(view.Messages[0]));
        Assert.Equal(("dot.png", AttachmentKind.Image), (shown.FileName, shown.Kind));
        var owner = app.CreateClient();
        await AccountForms.SignInAsync(owner, (await EmailOfAsync(user))!, "Passw0rd!");
        using var download = await owner.GetAsync($"/api/chats/{sent.Value.SessionId}/attachments/{shown.Id}", Ct);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("image/png", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal(KnowledgeFiles.Png, await download.Content.ReadAsByteArrayAsync(Ct));
        var strangerId = await TestUsers.RegisterAsync(app.Services);
        var stranger = app.CreateClient();
        await AccountForms.SignInAsync(stranger, (await EmailOfAsync(strangerId))!, "Passw0rd!");
        using var refused = await stranger.GetAsync($"/api/chats/{sent.Value.SessionId}/attachments/{shown.Id}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Null(await app.Services.GetRequiredService<ChatAttachments>().FindAsync(strangerId, sent.Value.SessionId, shown.Id, Ct));
    }

    [Fact]
    public async Task An_image_for_a_model_that_cannot_see_is_refused_with_the_reason_and_nothing_is_saved()
    {
        var user = await TestUsers.RegisterAsync(app.Services);

        var sent = await Chat.StartChatAsync(user, new SessionSettings("echo/echo"), "Describe it", null, [new NewAttachment("dot.png", "image/png", KnowledgeFiles.Png)], Ct);
        var wrongType = await Chat.StartChatAsync(user, Vision, "Run it", null, [new NewAttachment("setup.exe", "application/octet-stream", [1, 2, 3])], Ct);
        var tooMany = await Chat.StartChatAsync(user, Vision, "All of them", null,
            Enumerable.Range(0, AttachmentRules.MaxPerMessage + 1).Select(i => new NewAttachment($"n{i}.txt", "text/plain", "x"u8.ToArray())).ToList(), Ct);

        Assert.Equal(ChatProblemKind.Invalid, sent.Problem!.Kind);
        Assert.Contains("echo/echo cannot see images", sent.Problem.Message, StringComparison.Ordinal);
        // A long document read in before the image was refused is taken back, with the chat's collection.
        var longPdf = KnowledgeFiles.Pdf(["Only the first page of a document that is longer than the inline limit of this app.", "And a second page."]);
        var mixed = await Chat.StartChatAsync(user, new SessionSettings("echo/echo"), "Both", null,
            [new NewAttachment("long.pdf", "application/pdf", longPdf), new NewAttachment("dot.png", "image/png", KnowledgeFiles.Png)], Ct);
        Assert.Contains("cannot see images", mixed.Problem!.Message, StringComparison.Ordinal);
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            Assert.False(await db.KnowledgeDocuments.AnyAsync(d => d.OwnerId == user, Ct));
            Assert.False(await db.KnowledgeCollections.AnyAsync(c => c.OwnerId == user, Ct));
        }
        Assert.Contains("'setup.exe' is not a type that can be attached", wrongType.Problem!.Message, StringComparison.Ordinal);
        Assert.Contains($"at most {AttachmentRules.MaxPerMessage} files", tooMany.Problem!.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await Sessions.ListAsync(user, null, 0, 10, Ct)).Total);
    }

    [Fact]
    public async Task A_short_document_goes_whole_with_its_message_fenced_as_material()
    {
        var user = await TestUsers.RegisterAsync(app.Services);
        var note = "Meeting moved to Thursday — Grüße";

        var sent = (await Chat.StartChatAsync(user, Vision, "Summarise my note", null, [new NewAttachment("note.txt", "text/plain", System.Text.Encoding.UTF8.GetBytes(note))], Ct)).Value!;
        await FinishedAsync(sent.AssistantMessageId);

        var text = UserTurnsSentWith("Summarise my note")[0]!["content"]!.ToJsonString();
        Assert.Contains("\\u003Cattachment name=\\u0022note.txt\\u0022\\u003E", text, StringComparison.Ordinal);
        Assert.Contains("Meeting moved to Thursday", text, StringComparison.Ordinal);
        Assert.Null(await app.Services.GetRequiredService<KnowledgeService>().FindChatCollectionAsync(user, sent.SessionId, Ct));
    }

    [Fact]
    public async Task A_longer_pdf_goes_into_the_chats_own_knowledge_is_cited_and_goes_with_the_chat()
    {
        var user = await TestUsers.RegisterAsync(app.Services);
        var pages = new[]
        {
            "The lighthouse keeper logs the weather at dawn and dusk every single day of the year.",
            "Storm lanterns are refilled with paraffin on the first Monday of each month without fail.",
        };

        var sent = await Chat.StartChatAsync(user, Vision, "When are the storm lanterns refilled?", null, [new NewAttachment("keeper.pdf", "application/pdf", KnowledgeFiles.Pdf(pages))], Ct);
        Assert.True(sent.Succeeded, sent.Problem?.Message);
        var answer = await FinishedAsync(sent.Value!.AssistantMessageId);

        var citations = CitationJson.Read(answer.Citations);
        Assert.Contains(citations, c => c.Content.Contains("paraffin on the first Monday", StringComparison.Ordinal) && c.DocumentTitle == "keeper.pdf");
        var knowledge = app.Services.GetRequiredService<KnowledgeService>();
        var collection = await knowledge.FindChatCollectionAsync(user, sent.Value.SessionId, Ct);
        Assert.NotNull(collection);
        Assert.DoesNotContain(await knowledge.ListCollectionsAsync(user, Ct), c => c.Id == collection);
        var view = (await Sessions.GetAsync(user, sent.Value.SessionId, Ct))!;
        Assert.True(Assert.Single(view.AttachmentsOf(view.Messages[0])).Searched);

        Assert.True(await Sessions.DeleteAsync(user, sent.Value.SessionId, Ct));
        Assert.Null(await knowledge.FindChatCollectionAsync(user, sent.Value.SessionId, Ct));
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        Assert.False(await db.MessageAttachments.AnyAsync(a => a.SessionId == sent.Value.SessionId, Ct));
        Assert.False(await db.KnowledgeDocuments.AnyAsync(d => d.CollectionId == collection, Ct));
    }

    private async Task<string?> EmailOfAsync(Guid userId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<MrPrompt.Infrastructure.Security.ApplicationUser>>();
        return (await users.FindByIdAsync(userId.ToString()))?.Email;
    }
}
