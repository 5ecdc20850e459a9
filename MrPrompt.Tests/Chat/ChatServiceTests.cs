using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Chat;

/// <summary>Sending, stopping, regenerating and editing on real Postgres, with the real SDKs against the fake upstream.</summary>
public sealed class ChatServiceTests(ChatFixture fixture) : IClassFixture<ChatFixture>, IAsyncLifetime
{
    private static readonly SessionSettings OpenAI = new(ChatFixture.OpenAIModel);

    public ValueTask InitializeAsync()
    {
        fixture.Upstream.Reset();
        return ValueTask.CompletedTask;
    }

    /// <summary>Whether any request reached the upstream carrying <paramref name="marker"/>; a count would also see other tests' background title calls.</summary>
    private bool SentUpstream(string marker) => fixture.Upstream.Requests.Any(r => r.IsChat && r.Body?.Contains(marker, StringComparison.Ordinal) == true);

    /// <summary>The last request for an answer: a chat's title is asked for in the background, and may arrive after it.</summary>
    private RecordedRequest LastAnswerRequest() =>
        fixture.Upstream.Requests.Last(r => r.IsChat && !r.Body!.Contains("You name conversations", StringComparison.Ordinal));

    public ValueTask DisposeAsync()
    {
        fixture.Upstream.Reset();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task The_user_message_and_a_streaming_answer_are_saved_before_the_provider_answers()
    {
        var user = await fixture.NewUserAsync();
        fixture.Upstream.Enqueue(Fault.SlowFirstByte(TimeSpan.FromMilliseconds(700)));

        var sent = await fixture.Chat.StartChatAsync(user, OpenAI, "What are the best pizza toppings?", TestContext.Current.CancellationToken);

        Assert.True(sent.Succeeded, sent.Problem?.Message);
        var exchange = sent.Value!;
        var question = await fixture.MessageAsync(exchange.UserMessageId!.Value);
        var pending = await fixture.MessageAsync(exchange.AssistantMessageId);
        Assert.Equal("What are the best pizza toppings?", question!.Content);
        Assert.Equal(MessageStatus.Streaming, pending!.Status);
        Assert.True(question.Sequence < pending.Sequence);

        var answer = await fixture.FinishedAsync(exchange.AssistantMessageId);
        Assert.Equal(MessageStatus.Complete, answer.Status);
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), answer.Content);
        Assert.Equal((22, 712), (answer.InputTokens, answer.OutputTokens));
        Assert.NotNull(answer.CostUsd);
        Assert.NotNull(answer.ProviderMessageId);
    }

    [Fact]
    public async Task The_partial_answer_is_saved_while_it_streams()
    {
        var user = await fixture.NewUserAsync();
        fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(5);
        var exchange = (await fixture.Chat.StartChatAsync(user, OpenAI, "Tell me a long story", TestContext.Current.CancellationToken)).Value!;

        Message? checkpoint = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            checkpoint = await fixture.MessageAsync(exchange.AssistantMessageId);
            if (checkpoint is { Status: MessageStatus.Streaming, Content.Length: > 0 })
            {
                break;
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Equal(MessageStatus.Streaming, checkpoint!.Status);
        Assert.StartsWith(checkpoint.Content, ProviderFixtures.OpenAIStreamText(), StringComparison.Ordinal);
        Assert.NotEmpty(checkpoint.Content);
        await fixture.FinishedAsync(exchange.AssistantMessageId);
    }

    [Fact]
    public async Task Stop_cancels_upstream_and_keeps_what_was_written_marked_cancelled()
    {
        var user = await fixture.NewUserAsync();
        fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(10);
        var exchange = (await fixture.Chat.StartChatAsync(user, OpenAI, "Tell me a long story", TestContext.Current.CancellationToken)).Value!;
        var live = fixture.Runner.Find(exchange.AssistantMessageId)!;
        while (live.Text.Length < 20)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.False(await fixture.Chat.StopAsync(Guid.NewGuid(), exchange.AssistantMessageId, TestContext.Current.CancellationToken)); // not someone else's to stop
        Assert.True(await fixture.Chat.StopAsync(user, exchange.AssistantMessageId, TestContext.Current.CancellationToken));
        var answer = await fixture.FinishedAsync(exchange.AssistantMessageId);

        Assert.Equal(MessageStatus.Cancelled, answer.Status);
        Assert.NotEmpty(answer.Content);
        Assert.StartsWith(answer.Content, ProviderFixtures.OpenAIStreamText(), StringComparison.Ordinal);
        Assert.True(answer.Content.Length < ProviderFixtures.OpenAIStreamText().Length);
        await fixture.Upstream.ClientDisconnected.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Regenerate_adds_an_alternative_answer_and_keeps_the_old_one()
    {
        var user = await fixture.NewUserAsync();
        var first = (await fixture.Chat.StartChatAsync(user, OpenAI, "Hi", TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(first.AssistantMessageId);

        var again = await fixture.Chat.RegenerateAsync(user, first.SessionId, TestContext.Current.CancellationToken);
        Assert.True(again.Succeeded, again.Problem?.Message);
        await fixture.FinishedAsync(again.Value!.AssistantMessageId);

        var view = (await fixture.Sessions.GetAsync(user, first.SessionId, TestContext.Current.CancellationToken))!;
        Assert.Equal([MessageSender.User, MessageSender.Assistant], view.Messages.Select(m => m.Sender));
        Assert.Equal(again.Value.AssistantMessageId, view.Messages[1].Id);
        Assert.Null(again.Value.UserMessageId);
        Assert.Equal(new BranchPosition(2, 2, first.AssistantMessageId, null), view.BranchOf(view.Messages[1]));
        Assert.Null(view.BranchOf(view.Messages[0]));
    }

    [Fact]
    public async Task Three_answers_to_one_question_and_the_next_message_continues_the_branch_chosen()
    {
        var user = await fixture.NewUserAsync();
        var first = (await fixture.Chat.StartChatAsync(user, new SessionSettings("echo/echo"), "Pick a colour", TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(first.AssistantMessageId);
        var answers = new List<Guid> { first.AssistantMessageId };
        for (var i = 0; i < 2; i++)
        {
            var again = (await fixture.Chat.RegenerateAsync(user, first.SessionId, TestContext.Current.CancellationToken)).Value!;
            await fixture.FinishedAsync(again.AssistantMessageId);
            answers.Add(again.AssistantMessageId);
        }
        // The answers differ only by id: mark branch 2's so the history sent later can be told apart.
        await using (var db = await fixture.DbAsync())
        {
            await db.Messages.Where(m => m.Id == answers[1]).ExecuteUpdateAsync(set => set.SetProperty(m => m.Content, "Branch two says teal"), TestContext.Current.CancellationToken);
        }

        Assert.Null(await fixture.Sessions.SwitchBranchAsync(user, first.SessionId, answers[1], TestContext.Current.CancellationToken));
        var onTwo = (await fixture.Sessions.GetAsync(user, first.SessionId, TestContext.Current.CancellationToken))!;
        Assert.Equal((2, 3), (onTwo.BranchOf(onTwo.Messages[1])!.Number, onTwo.BranchOf(onTwo.Messages[1])!.Count));
        await fixture.Sessions.UpdateSettingsAsync(user, first.SessionId, OpenAI, TestContext.Current.CancellationToken);
        var next = (await fixture.Chat.SendAsync(user, first.SessionId, "Why that one?", TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(next.AssistantMessageId);

        var sent = JsonNode.Parse(LastAnswerRequest().Body!)!["messages"]!.AsArray().Select(m => m!["content"]!.GetValue<string>()).ToList();
        Assert.Equal(["Pick a colour", "Branch two says teal", "Why that one?"], sent);
        var view = (await fixture.Sessions.GetAsync(user, first.SessionId, TestContext.Current.CancellationToken))!;
        Assert.Equal([first.UserMessageId!.Value, answers[1], next.UserMessageId!.Value, next.AssistantMessageId], view.Messages.Select(m => m.Id));

        // Moving to branch 3 shows its answer alone; back on 2, the follow-up is there again.
        Assert.Null(await fixture.Sessions.SwitchBranchAsync(user, first.SessionId, answers[2], TestContext.Current.CancellationToken));
        Assert.Equal(2, (await fixture.Sessions.GetAsync(user, first.SessionId, TestContext.Current.CancellationToken))!.Messages.Count);
        Assert.Null(await fixture.Sessions.SwitchBranchAsync(user, first.SessionId, answers[1], TestContext.Current.CancellationToken));
        Assert.Equal(4, (await fixture.Sessions.GetAsync(user, first.SessionId, TestContext.Current.CancellationToken))!.Messages.Count);
        var stranger = await fixture.NewUserAsync();
        Assert.Equal(ChatProblemKind.NotFound, (await fixture.Sessions.SwitchBranchAsync(stranger, first.SessionId, answers[0], TestContext.Current.CancellationToken))!.Kind);
    }

    [Fact]
    public async Task Two_tabs_on_different_branches_each_continue_their_own()
    {
        var user = await fixture.NewUserAsync();
        var echo = new SessionSettings("echo/echo");
        var first = (await fixture.Chat.StartChatAsync(user, echo, "Tea or coffee?", TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(first.AssistantMessageId);
        var second = (await fixture.Chat.RegenerateAsync(user, first.SessionId, TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(second.AssistantMessageId);

        // Tab A shows answer 2 (the chat's current branch); tab B still shows answer 1 and sends from there.
        var fromB = (await fixture.Chat.SendAsync(user, first.SessionId, "Why coffee?", null, [], after: first.AssistantMessageId, TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(fromB.AssistantMessageId);

        var view = (await fixture.Sessions.GetAsync(user, first.SessionId, TestContext.Current.CancellationToken))!;
        Assert.Equal([first.UserMessageId!.Value, first.AssistantMessageId, fromB.UserMessageId!.Value, fromB.AssistantMessageId], view.Messages.Select(m => m.Id));
        Assert.Equal((1, 2), (view.BranchOf(view.Messages[1])!.Number, view.BranchOf(view.Messages[1])!.Count));
        // A leaf that is not this chat's is ignored: the chat's own branch is continued.
        var stray = (await fixture.Chat.RegenerateAsync(user, first.SessionId, Guid.NewGuid(), TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(stray.AssistantMessageId);
        Assert.Equal(fromB.UserMessageId, (await fixture.MessageAsync(stray.AssistantMessageId))!.ParentId);
    }

    [Fact]
    public async Task Edit_and_resend_starts_a_new_branch_from_the_edited_message_and_keeps_the_old_one()
    {
        var user = await fixture.NewUserAsync();
        var first = (await fixture.Chat.StartChatAsync(user, OpenAI, "First question", TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(first.AssistantMessageId);
        var second = (await fixture.Chat.SendAsync(user, first.SessionId, "Second question", TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(second.AssistantMessageId);

        var edited = await fixture.Chat.EditAndResendAsync(user, first.UserMessageId!.Value, "First question, rephrased", TestContext.Current.CancellationToken);
        Assert.True(edited.Succeeded, edited.Problem?.Message);
        await fixture.FinishedAsync(edited.Value!.AssistantMessageId);

        var view = (await fixture.Sessions.GetAsync(user, first.SessionId, TestContext.Current.CancellationToken))!;
        Assert.Equal(["First question, rephrased", ProviderFixtures.OpenAIStreamText()], view.Messages.Select(m => m.Content));
        // The upstream saw only the rephrased question: the other branch is not part of this one's history.
        var lastRequest = JsonNode.Parse(LastAnswerRequest().Body!)!;
        Assert.Single(lastRequest["messages"]!.AsArray());
        Assert.Equal(new BranchPosition(2, 2, first.UserMessageId, null), view.BranchOf(view.Messages[0]));

        Assert.Null(await fixture.Sessions.SwitchBranchAsync(user, first.SessionId, first.UserMessageId.Value, TestContext.Current.CancellationToken));
        var old = (await fixture.Sessions.GetAsync(user, first.SessionId, TestContext.Current.CancellationToken))!;
        Assert.Equal(["First question", "Second question"], old.Messages.Where(m => m.Sender == MessageSender.User).Select(m => m.Content));
    }

    [Fact]
    public async Task A_message_over_the_length_limit_is_refused_and_nothing_is_created_or_sent()
    {
        var user = await fixture.NewUserAsync();
        var tooLong = new string('a', fixture.Chat.Limits.MaxMessageLength + 1);

        var sent = await fixture.Chat.StartChatAsync(user, OpenAI, tooLong, TestContext.Current.CancellationToken);

        Assert.Equal(ChatProblemKind.Invalid, sent.Problem!.Kind);
        Assert.Contains("at most 32,000 characters", sent.Problem.Message);
        Assert.False(SentUpstream("aaaaaaaaaa"));
        Assert.Equal(0, (await fixture.Sessions.ListAsync(user, null, 0, 10, TestContext.Current.CancellationToken)).Total);
    }

    [Fact]
    public async Task Sends_and_compare_runs_past_the_minutes_allowance_are_refused_before_anything_is_saved()
    {
        var user = await fixture.NewUserAsync();
        var perMinute = new MrPrompt.Infrastructure.Gateway.Limits.LimitOptions().InteractiveActionsPerMinute;
        var results = new List<ChatResult<Exchange>>();

        for (var send = 0; send < perMinute; send++)
        {
            // Echo answers at once; a send refused for want of a free slot still counts, as it would from a page.
            results.Add(await fixture.Chat.StartChatAsync(user, new SessionSettings("echo/echo"), $"spam {send}", TestContext.Current.CancellationToken));
        }
        var over = await fixture.Chat.StartChatAsync(user, new SessionSettings("echo/echo"), "one too many", TestContext.Current.CancellationToken);
        var compare = await fixture.Compare.StartAsync(user, "and a run", ["echo/echo", "echo/echo"], TestContext.Current.CancellationToken);

        Assert.DoesNotContain(results, r => r.Problem?.Kind == ChatProblemKind.TooFast);
        Assert.Equal(ChatProblemKind.TooFast, over.Problem!.Kind);
        Assert.Matches($"^You have sent {perMinute} messages or runs in the last minute. Wait [0-9]+ s, then send again.$", over.Problem.Message);
        Assert.Equal(ChatProblemKind.TooFast, compare.Problem!.Kind);
        var saved = (await fixture.Sessions.ListAsync(user, null, 0, 100, TestContext.Current.CancellationToken)).Total;
        Assert.Equal(results.Count(r => r.Succeeded), saved);
    }

    [Fact]
    public async Task Two_tabs_sending_into_one_chat_at_once_start_one_answer()
    {
        var user = await fixture.NewUserAsync();
        var first = (await fixture.Chat.StartChatAsync(user, new SessionSettings("echo/echo"), "hi", TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(first.AssistantMessageId);
        fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(10);
        await fixture.Sessions.UpdateSettingsAsync(user, first.SessionId, OpenAI, TestContext.Current.CancellationToken);

        var both = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            Task.Run(() => fixture.Chat.SendAsync(user, first.SessionId, $"tab {i}", TestContext.Current.CancellationToken))));

        var started = Assert.Single(both, r => r.Succeeded);
        Assert.All(both.Where(r => !r.Succeeded), r => Assert.Equal(ChatProblemKind.Busy, r.Problem!.Kind));
        await fixture.Chat.StopAsync(user, started.Value!.AssistantMessageId, TestContext.Current.CancellationToken);
        await fixture.FinishedAsync(started.Value.AssistantMessageId);
        Assert.Equal(4, (await fixture.Sessions.GetAsync(user, first.SessionId, TestContext.Current.CancellationToken))!.Messages.Count);
    }

    [Fact]
    public async Task Text_postgres_cannot_store_and_an_oversized_system_prompt_get_clear_messages()
    {
        var user = await fixture.NewUserAsync();

        var nul = await fixture.Chat.StartChatAsync(user, OpenAI, "a\0b", TestContext.Current.CancellationToken);
        var system = await fixture.Chat.StartChatAsync(user, new SessionSettings(ChatFixture.SmallContextModel, string.Join(' ', Enumerable.Repeat("rule", 800))), "hi", TestContext.Current.CancellationToken);

        Assert.Contains("NUL character", nul.Problem!.Message);
        Assert.Contains("The system prompt of this chat is too long for openai/gpt-4o", system.Problem!.Message);
        Assert.False(SentUpstream("rule rule"));
        Assert.False(SentUpstream("a\\u0000b"));
    }

    [Fact]
    public async Task A_fourth_concurrent_answer_is_refused_without_calling_upstream()
    {
        var user = await fixture.NewUserAsync();
        fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(10);
        var running = new List<Exchange>();
        for (var i = 0; i < 3; i++)
        {
            running.Add((await fixture.Chat.StartChatAsync(user, OpenAI, $"Story {i}", TestContext.Current.CancellationToken)).Value!);
        }
        while (!Enumerable.Range(0, 3).All(i => SentUpstream($"Story {i}")))
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        var fourth = await fixture.Chat.StartChatAsync(user, OpenAI, "One more", TestContext.Current.CancellationToken);
        var otherUser = await fixture.NewUserAsync();
        var someoneElse = await fixture.Chat.StartChatAsync(otherUser, new SessionSettings("echo/echo"), "Not limited by them", TestContext.Current.CancellationToken);

        Assert.Equal(ChatProblemKind.Limited, fourth.Problem!.Kind);
        Assert.Equal("You already have 3 answers waiting or being written (Jobs__MaxOpenPerUser). Wait for one to finish, then send again.", fourth.Problem.Message);
        Assert.True(someoneElse.Succeeded);
        Assert.False(SentUpstream("One more"));
        foreach (var exchange in running)
        {
            await fixture.Chat.StopAsync(user, exchange.AssistantMessageId, TestContext.Current.CancellationToken);
            await fixture.FinishedAsync(exchange.AssistantMessageId);
        }
        var afterwards = await fixture.Chat.StartChatAsync(user, new SessionSettings("echo/echo"), "Now there is room", TestContext.Current.CancellationToken);
        Assert.True(afterwards.Succeeded, afterwards.Problem?.Message);
    }

    [Fact]
    public async Task Sending_while_an_answer_is_being_written_in_the_chat_is_refused()
    {
        var user = await fixture.NewUserAsync();
        fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(10);
        var first = (await fixture.Chat.StartChatAsync(user, OpenAI, "Long one", TestContext.Current.CancellationToken)).Value!;

        var second = await fixture.Chat.SendAsync(user, first.SessionId, "Impatient follow-up", TestContext.Current.CancellationToken);

        Assert.Equal(ChatProblemKind.Busy, second.Problem!.Kind);
        await fixture.Chat.StopAsync(user, first.AssistantMessageId, TestContext.Current.CancellationToken);
        await fixture.FinishedAsync(first.AssistantMessageId);
    }

    [Fact]
    public async Task The_history_sent_is_trimmed_oldest_first_to_the_models_context_and_keeps_the_system_prompt()
    {
        var user = await fixture.NewUserAsync();
        var settings = new SessionSettings(ChatFixture.SmallContextModel, SystemPrompt: "SYSTEM-RULES stay");
        var words = string.Join(' ', Enumerable.Repeat("filler", 60));
        var first = (await fixture.Chat.StartChatAsync(user, settings, "OLDEST " + words, TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(first.AssistantMessageId);
        var second = (await fixture.Chat.SendAsync(user, first.SessionId, "NEWEST question", TestContext.Current.CancellationToken)).Value!;
        await fixture.FinishedAsync(second.AssistantMessageId);

        var sent = JsonNode.Parse(LastAnswerRequest().Body!)!["messages"]!.AsArray();
        var contents = sent.Select(m => m!["content"]!.GetValue<string>()).ToList();
        Assert.Equal("SYSTEM-RULES stay", contents[0]);
        Assert.Equal("NEWEST question", contents[^1]);
        Assert.DoesNotContain(contents, c => c.StartsWith("OLDEST", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_too_large_for_the_models_context_is_refused_with_the_reason()
    {
        var user = await fixture.NewUserAsync();
        var huge = string.Join(' ', Enumerable.Repeat("word", 2000));

        var sent = await fixture.Chat.StartChatAsync(user, new SessionSettings(ChatFixture.SmallContextModel), huge, TestContext.Current.CancellationToken);

        Assert.Equal(ChatProblemKind.Invalid, sent.Problem!.Kind);
        Assert.Contains("too long for openai/gpt-4o", sent.Problem.Message);
        Assert.False(SentUpstream("word word"));
    }

    [Fact]
    public async Task A_provider_error_is_saved_on_the_answer_as_the_gateways_readable_message()
    {
        var user = await fixture.NewUserAsync();

        var exchange = (await fixture.Chat.StartChatAsync(user, new SessionSettings("broken/gpt-4o-mini"), "Hello", TestContext.Current.CancellationToken)).Value!;
        var answer = await fixture.FinishedAsync(exchange.AssistantMessageId);

        Assert.Equal(MessageStatus.Failed, answer.Status);
        Assert.Equal("invalid_key", answer.ErrorCode);
        Assert.Contains("rejected the API key", answer.ErrorMessage);
    }

    [Fact]
    public async Task The_first_exchange_names_the_chat_with_the_models_suggestion()
    {
        var user = await fixture.NewUserAsync();
        var exchange = (await fixture.Chat.StartChatAsync(user, OpenAI, "What are the best pizza toppings?", TestContext.Current.CancellationToken)).Value!;
        Assert.Equal("What are the best pizza toppings?", (await fixture.Sessions.GetAsync(user, exchange.SessionId, TestContext.Current.CancellationToken))!.Session.Title);
        await fixture.FinishedAsync(exchange.AssistantMessageId);

        var expected = ChatRules.CleanGeneratedTitle(
            ProviderFixtures.OpenAIWholeText());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string title;
        do
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            title = (await fixture.Sessions.GetAsync(user, exchange.SessionId, TestContext.Current.CancellationToken))!.Session.Title;
        }
        while (title != expected && DateTime.UtcNow < deadline);
        Assert.Equal(expected, title);
    }

    [Fact]
    public async Task An_echo_chat_keeps_the_first_words_as_its_title()
    {
        var user = await fixture.NewUserAsync();
        var exchange = (await fixture.Chat.StartChatAsync(user, new SessionSettings("echo/echo"), "one two three four five six seven eight", TestContext.Current.CancellationToken)).Value!;
        var answer = await fixture.FinishedAsync(exchange.AssistantMessageId);

        Assert.Equal("one two three four five six seven eight", answer.Content);
        Assert.Equal("one two three four five six…", (await fixture.Sessions.GetAsync(user, exchange.SessionId, TestContext.Current.CancellationToken))!.Session.Title);
    }
}
