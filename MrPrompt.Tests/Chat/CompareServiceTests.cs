using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Chat;

/// <summary>One prompt to several models: each column on its own, a failing one blocking nobody.</summary>
public sealed class CompareServiceTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    [Fact]
    public async Task Three_columns_stream_independently_and_a_failing_provider_blocks_no_other()
    {
        var user = await fixture.NewUserAsync();
        string[] models = ["openai/gpt-4o-mini", "broken/gpt-4o-mini", "anthropic/claude-3-opus-latest"];

        var started = await fixture.Compare.StartAsync(user, "Say hello", models, TestContext.Current.CancellationToken);

        Assert.True(started.Succeeded, started.Problem?.Message);
        var run = (await fixture.Compare.GetAsync(user, started.Value, TestContext.Current.CancellationToken))!;
        Assert.Equal(models, run.Columns.Select(c => c.Session.Model));
        foreach (var column in run.Columns)
        {
            await fixture.FinishedAsync(column.Answer!.Id);
        }
        run = (await fixture.Compare.GetAsync(user, started.Value, TestContext.Current.CancellationToken))!;
        Assert.Equal([MessageStatus.Complete, MessageStatus.Failed, MessageStatus.Complete], run.Columns.Select(c => c.Answer!.Status));
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), run.Columns[0].Answer!.Content);
        Assert.NotEmpty(run.Columns[2].Answer!.Content);
        Assert.NotNull(run.Columns[2].Answer!.OutputTokens);

        // Columns stay out of the sidebar; the run is listed.
        Assert.Equal(0, (await fixture.Sessions.ListAsync(user, null, 0, 10, TestContext.Current.CancellationToken)).Total);
        Assert.Equal(started.Value, Assert.Single(await fixture.Compare.ListAsync(user, TestContext.Current.CancellationToken)).Id);
    }

    [Fact]
    public async Task Continue_with_a_column_makes_it_a_normal_chat_that_can_go_on()
    {
        var user = await fixture.NewUserAsync();
        var runId = (await fixture.Compare.StartAsync(user, "Say hello", ["echo/echo", "openai/gpt-4o-mini"], TestContext.Current.CancellationToken)).Value;
        var run = (await fixture.Compare.GetAsync(user, runId, TestContext.Current.CancellationToken))!;
        foreach (var column in run.Columns)
        {
            await fixture.FinishedAsync(column.Answer!.Id);
        }

        var chat = await fixture.Sessions.ContinueFromAsync(user, run.Columns[1].Session.Id, TestContext.Current.CancellationToken);

        Assert.True(chat.Succeeded);
        var view = (await fixture.Sessions.GetAsync(user, chat.Value, TestContext.Current.CancellationToken))!;
        Assert.Null(view.Session.CompareRunId);
        Assert.Equal("openai/gpt-4o-mini", view.Session.Model);
        Assert.Equal(["Say hello", ProviderFixtures.OpenAIStreamText()], view.Messages.Select(m => m.Content));
        Assert.Equal(chat.Value, Assert.Single((await fixture.Sessions.ListAsync(user, null, 0, 10, TestContext.Current.CancellationToken)).Items).Id);
        var next = await fixture.Chat.SendAsync(user, chat.Value, "And now?", TestContext.Current.CancellationToken);
        Assert.True(next.Succeeded, next.Problem?.Message);
        await fixture.FinishedAsync(next.Value!.AssistantMessageId);
        Assert.Equal(2, (await fixture.Compare.GetAsync(user, runId, TestContext.Current.CancellationToken))!.Columns.Count);
    }

    [Fact]
    public async Task One_model_may_fill_several_columns_each_with_its_own_answer_in_a_fixed_place()
    {
        var user = await fixture.NewUserAsync();

        var started = await fixture.Compare.StartAsync(user, "Say hello twice", ["echo/echo", "ECHO/echo", "openai/gpt-4o-mini"], TestContext.Current.CancellationToken);

        Assert.True(started.Succeeded, started.Problem?.Message);
        var run = (await fixture.Compare.GetAsync(user, started.Value, TestContext.Current.CancellationToken))!;
        Assert.Equal(["echo/echo", "echo/echo", "openai/gpt-4o-mini"], run.Columns.Select(c => c.Session.Model));
        Assert.Equal(3, run.Columns.Select(c => c.Session.Id).Distinct().Count());
        foreach (var column in run.Columns)
        {
            await fixture.FinishedAsync(column.Answer!.Id);
        }
        var again = (await fixture.Compare.GetAsync(user, started.Value, TestContext.Current.CancellationToken))!;
        Assert.Equal(run.Columns.Select(c => c.Session.Id), again.Columns.Select(c => c.Session.Id));
        Assert.Equal(["Say hello twice", "Say hello twice"], again.Columns.Take(2).Select(c => c.Answer!.Content));
    }

    [Theory]
    [InlineData(new[] { "echo/echo" }, "Pick 2 to 4 models to compare.")]
    [InlineData(new[] { "echo/echo", "" }, "Pick a model for every column.")]
    [InlineData(new[] { "a/1", "b/2", "c/3", "d/4", "e/5" }, "Pick 2 to 4 models to compare.")]
    public async Task Bad_compare_requests_are_refused_with_a_reason(string[] models, string expected)
    {
        var user = await fixture.NewUserAsync();

        var started = await fixture.Compare.StartAsync(user, "Hello", models, TestContext.Current.CancellationToken);

        Assert.Equal(expected, started.Problem!.Message);
        Assert.Empty(await fixture.Compare.ListAsync(user, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Another_users_compare_run_is_not_found()
    {
        var owner = await fixture.NewUserAsync();
        var runId = (await fixture.Compare.StartAsync(owner, "Mine", ["echo/echo", "openai/gpt-4o-mini"], TestContext.Current.CancellationToken)).Value;

        Assert.Null(await fixture.Compare.GetAsync(await fixture.NewUserAsync(), runId, TestContext.Current.CancellationToken));
    }
}
