using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Chat;

/// <summary>
/// The server going away mid-answer (the host stopping its services): answers being written are
/// stopped and saved as incomplete with what was written, and no new answer starts. A class of its own:
/// a stopped runner stays stopped for its fixture.
/// </summary>
public sealed class GracefulShutdownTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_the_server_saves_answers_in_flight_as_incomplete_with_their_text_and_refuses_new_ones()
    {
        var user = await fixture.NewUserAsync();
        fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(20);
        var settings = new SessionSettings(ChatFixture.OpenAIModel);
        var first = (await fixture.Chat.StartChatAsync(user, settings, "Tell me a long story", Ct)).Value!;
        var second = (await fixture.Chat.StartChatAsync(user, settings, "And another one", Ct)).Value!;
        await WrittenAsync(fixture.Runner.Find(first.AssistantMessageId)!, 20);
        await WrittenAsync(fixture.Runner.Find(second.AssistantMessageId)!, 20);

        await fixture.Runner.StopAsync(Ct);

        foreach (var id in new[] { first.AssistantMessageId, second.AssistantMessageId })
        {
            var saved = (await fixture.MessageAsync(id))!;
            Assert.Equal(MessageStatus.Incomplete, saved.Status);
            Assert.True(saved.Content.Length >= 20, $"saved {saved.Content.Length} characters");
            Assert.StartsWith(saved.Content, ProviderFixtures.OpenAIStreamText(), StringComparison.Ordinal);
            Assert.NotEqual(ProviderFixtures.OpenAIStreamText(), saved.Content); // stopped, not finished
            Assert.Null(fixture.Runner.Find(id));
        }
        var refused = await fixture.Chat.StartChatAsync(user, settings, "One more?", Ct);
        Assert.False(refused.Succeeded);
    }

    /// <summary>Completes once the live answer holds <paramref name="characters"/> characters: a signal, not a pause.</summary>
    private static async Task WrittenAsync(LiveGeneration live, int characters)
    {
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (live.Text.Length >= characters)
            {
                enough.TrySetResult();
            }
        }
        live.Changed += Check;
        Check();
        try
        {
            await enough.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }
        finally
        {
            live.Changed -= Check;
        }
    }
}
