using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Chat;

/// <summary>Listing, searching and managing chats on real Postgres, and that nobody reaches another's.</summary>
public sealed class ChatSessionStoreTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    private static readonly SessionSettings Echo = new("echo/echo");

    private async Task<Exchange> ChatAsync(Guid user, string text)
    {
        var exchange = (await fixture.Chat.StartChatAsync(user, Echo, text, TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(exchange.AssistantMessageId);
        return exchange;
    }

    [Fact]
    public async Task Sessions_list_newest_first_and_search_finds_titles_and_message_text_by_prefix()
    {
        var user = await fixture.NewUserAsync();
        var pizza = await ChatAsync(user, "Pizza dough hydration");
        var travel = await ChatAsync(user, "Trip planning");
        await fixture.Chat.SendAsync(user, travel.SessionId, "Which museums in Lisbon open on Mondays?", TestContext.Current.CancellationToken)
            .ContinueWith(t => fixture.FinishedAsync(t.Result.Value!.AssistantMessageId)).Unwrap();
        var stranger = await fixture.NewUserAsync();
        await ChatAsync(stranger, "Lisbon pizza places");

        var all = await fixture.Sessions.ListAsync(user, null, 0, 10, TestContext.Current.CancellationToken);
        Assert.Equal([travel.SessionId, pizza.SessionId], all.Items.Select(s => s.Id));

        var byMessage = await fixture.Sessions.ListAsync(user, "lisb", 0, 10, TestContext.Current.CancellationToken);
        Assert.Equal([travel.SessionId], byMessage.Items.Select(s => s.Id));
        var byTitle = await fixture.Sessions.ListAsync(user, "PIZZA", 0, 10, TestContext.Current.CancellationToken);
        Assert.Equal([pizza.SessionId], byTitle.Items.Select(s => s.Id));
        var everyWord = await fixture.Sessions.ListAsync(user, "museums mondays", 0, 10, TestContext.Current.CancellationToken);
        Assert.Single(everyWord.Items);
        var syntax = await fixture.Sessions.ListAsync(user, "pizza & | ! :* ( ' \\", 0, 10, TestContext.Current.CancellationToken);
        Assert.Equal([pizza.SessionId], syntax.Items.Select(s => s.Id));
    }

    [Fact]
    public async Task The_list_groups_chats_by_day_with_pinned_ones_first_and_archived_ones_apart()
    {
        var user = await fixture.NewUserAsync();
        var now = fixture.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var ages = new[] { 0, 1, 3, 20, 400 };
        var ids = new List<Guid>();
        foreach (var days in ages)
        {
            var id = (await ChatAsync(user, $"Chat from {days} days ago")).SessionId;
            await using var db = await fixture.DbAsync();
            await db.ChatSessions.Where(s => s.Id == id).ExecuteUpdateAsync(set => set.SetProperty(s => s.LastActivityAt, now.AddDays(-days)), TestContext.Current.CancellationToken);
            ids.Add(id);
        }
        Assert.Null(await fixture.Sessions.SetPinnedAsync(user, ids[3], true, TestContext.Current.CancellationToken));
        Assert.Null(await fixture.Sessions.SetArchivedAsync(user, ids[1], true, TestContext.Current.CancellationToken));

        var listed = (await fixture.Sessions.ListAsync(user, null, 0, 10, TestContext.Current.CancellationToken)).Items;
        Assert.Equal([ids[3], ids[0], ids[2], ids[4]], listed.Select(s => s.Id));
        Assert.Equal([ChatListGroups.Pinned, ChatListGroups.Today, ChatListGroups.Previous7Days, now.AddDays(-400).Year.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            listed.Select(s => s.Group));
        Assert.All(listed, s => Assert.True(s.StartsGroup));

        // A page that starts inside a group does not repeat its heading.
        Assert.Null(await fixture.Sessions.SetPinnedAsync(user, ids[0], true, TestContext.Current.CancellationToken));
        var second = Assert.Single((await fixture.Sessions.ListAsync(user, null, 1, 1, TestContext.Current.CancellationToken)).Items);
        Assert.Equal((ChatListGroups.Pinned, false), (second.Group, second.StartsGroup));

        var archived = (await fixture.Sessions.ListAsync(user, null, 0, 10, TestContext.Current.CancellationToken, archived: true)).Items;
        Assert.Equal([ids[1]], archived.Select(s => s.Id));
        Assert.Equal(ChatListGroups.Yesterday, archived[0].Group);
        Assert.NotNull((await fixture.Sessions.GetAsync(user, ids[1], TestContext.Current.CancellationToken))!.Session.ArchivedAt);
        var stranger = await fixture.NewUserAsync();
        Assert.Equal(ChatProblemKind.NotFound, (await fixture.Sessions.SetArchivedAsync(stranger, ids[0], true, TestContext.Current.CancellationToken))!.Kind);
        Assert.Null(await fixture.Sessions.SetArchivedAsync(user, ids[1], false, TestContext.Current.CancellationToken));
        Assert.Equal(5, (await fixture.Sessions.ListAsync(user, null, 0, 10, TestContext.Current.CancellationToken)).Total);
    }

    [Fact]
    public async Task Paging_through_many_sessions_returns_each_once()
    {
        var user = await fixture.NewUserAsync();
        await using (var db = await fixture.DbAsync())
        {
            var start = DateTimeOffset.UtcNow;
            db.ChatSessions.AddRange(Enumerable.Range(0, 250).Select(i => new ChatSession
            {
                Id = Guid.CreateVersion7(),
                UserId = user,
                Title = $"Chat {i}",
                Model = "echo/echo",
                LastActivityAt = start.AddSeconds(i),
            }));
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        var seen = new List<string>();
        for (var skip = 0; skip < 250; skip += 40)
        {
            var page = await fixture.Sessions.ListAsync(user, null, skip, 40, TestContext.Current.CancellationToken);
            Assert.Equal(250, page.Total);
            seen.AddRange(page.Items.Select(s => s.Title));
        }
        Assert.Equal(Enumerable.Range(0, 250).Reverse().Select(i => $"Chat {i}"), seen);
    }

    [Fact]
    public async Task Another_users_chat_is_not_found_whatever_is_tried()
    {
        var owner = await fixture.NewUserAsync();
        var intruder = await fixture.NewUserAsync();
        var exchange = await ChatAsync(owner, "Private thoughts");
        var token = TestContext.Current.CancellationToken;

        Assert.Null(await fixture.Sessions.GetAsync(intruder, exchange.SessionId, token));
        Assert.Null(await fixture.Sessions.GetMessageAsync(intruder, exchange.AssistantMessageId, token));
        Assert.Equal(ChatProblemKind.NotFound, (await fixture.Chat.SendAsync(intruder, exchange.SessionId, "hi", token)).Problem!.Kind);
        Assert.Equal(ChatProblemKind.NotFound, (await fixture.Chat.RegenerateAsync(intruder, exchange.SessionId, token)).Problem!.Kind);
        Assert.Equal(ChatProblemKind.NotFound, (await fixture.Chat.EditAndResendAsync(intruder, exchange.UserMessageId!.Value, "x", token)).Problem!.Kind);
        Assert.Equal(ChatProblemKind.NotFound, (await fixture.Sessions.RenameAsync(intruder, exchange.SessionId, "Mine now", token))!.Kind);
        Assert.Equal(ChatProblemKind.NotFound, (await fixture.Sessions.UpdateSettingsAsync(intruder, exchange.SessionId, Echo, token))!.Kind);
        Assert.Equal(ChatProblemKind.NotFound, (await fixture.Sessions.ContinueFromAsync(intruder, exchange.SessionId, token)).Problem!.Kind);
        Assert.False(await fixture.Sessions.DeleteAsync(intruder, exchange.SessionId, token));
        Assert.Empty((await fixture.Sessions.ListAsync(intruder, "private", 0, 10, token)).Items);

        var untouched = (await fixture.Sessions.GetAsync(owner, exchange.SessionId, token))!;
        Assert.Equal("Private thoughts", untouched.Session.Title);
        Assert.Equal(2, untouched.Messages.Count);
    }

    [Fact]
    public async Task Rename_validates_and_keeps_the_users_title_over_a_generated_one()
    {
        var user = await fixture.NewUserAsync();
        var exchange = await ChatAsync(user, "Something");

        Assert.Equal("A title cannot be empty.", (await fixture.Sessions.RenameAsync(user, exchange.SessionId, "  ", TestContext.Current.CancellationToken))!.Message);
        Assert.Null(await fixture.Sessions.RenameAsync(user, exchange.SessionId, "  My name  ", TestContext.Current.CancellationToken));

        var session = (await fixture.Sessions.GetAsync(user, exchange.SessionId, TestContext.Current.CancellationToken))!.Session;
        Assert.Equal("My name", session.Title);
        Assert.False(session.TitleIsProvisional);
    }

    [Fact]
    public async Task Deleting_a_chat_stops_its_answer_and_removes_its_messages()
    {
        var user = await fixture.NewUserAsync();
        fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(10);
        var exchange = (await fixture.Chat.StartChatAsync(user, new SessionSettings(ChatFixture.OpenAIModel), "Long story", TestContext.Current.CancellationToken)).Value!;

        Assert.True(await fixture.Sessions.DeleteAsync(user, exchange.SessionId, TestContext.Current.CancellationToken));

        fixture.Upstream.ChunkDelay = TimeSpan.Zero;
        Assert.Null(fixture.Runner.Find(exchange.AssistantMessageId));
        await using var db = await fixture.DbAsync();
        Assert.False(await db.Messages.AnyAsync(m => m.SessionId == exchange.SessionId, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Settings_are_validated_and_saved()
    {
        var user = await fixture.NewUserAsync();
        var exchange = await ChatAsync(user, "Settings");

        var refused = await fixture.Sessions.UpdateSettingsAsync(user, exchange.SessionId, Echo with { Temperature = 3 }, TestContext.Current.CancellationToken);
        Assert.Equal("Temperature goes from 0 to 2.", refused!.Message);
        Assert.Null(await fixture.Sessions.UpdateSettingsAsync(user, exchange.SessionId, new SessionSettings("openai/gpt-4o-mini", " Be brief. ", 0.5f, 200), TestContext.Current.CancellationToken));

        var session = (await fixture.Sessions.GetAsync(user, exchange.SessionId, TestContext.Current.CancellationToken))!.Session;
        Assert.Equal(("openai/gpt-4o-mini", "Be brief.", 0.5f, 200), (session.Model, session.SystemPrompt, session.Temperature, session.MaxOutputTokens));
    }

    [Fact]
    public async Task At_start_answers_left_streaming_without_a_job_are_marked_incomplete_with_their_text()
    {
        var user = await fixture.NewUserAsync();
        var exchange = await ChatAsync(user, "Before the crash");
        Guid orphan;
        await using (var db = await fixture.DbAsync())
        {
            // What a process killed before the queue existed left behind: an answer saved mid-stream, no job to finish it.
            orphan = Guid.CreateVersion7();
            db.Messages.Add(new Message
            {
                Id = orphan,
                SessionId = exchange.SessionId,
                Sequence = 10,
                Sender = MessageSender.Assistant,
                Status = MessageStatus.Streaming,
                Content = "Half an ans",
            });
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        await fixture.Runner.StartAsync(TestContext.Current.CancellationToken);

        var recovered = (await fixture.MessageAsync(orphan))!;
        Assert.Equal(MessageStatus.Incomplete, recovered.Status);
        Assert.Equal("Half an ans", recovered.Content);
        Assert.Contains("stopped before it was finished", recovered.ErrorMessage);
        Assert.Equal(MessageStatus.Complete, (await fixture.MessageAsync(exchange.AssistantMessageId))!.Status);
    }
}
