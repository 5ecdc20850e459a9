using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Chat;

/// <summary>
/// Leaving the fleet (SIGTERM) with time to drain: an answer being written finishes while nothing new starts here. A class
/// of its own: a drained runner stays closed for its fixture.
/// </summary>
public sealed class DrainTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Answers_running_when_the_drain_begins_finish_within_it_and_nothing_new_starts()
    {
        var user = await fixture.NewUserAsync();
        fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(5);
        fixture.Upstream.ChunkDelayEvery = 8;
        var settings = new SessionSettings(ChatFixture.OpenAIModel);
        var running = (await fixture.Chat.StartChatAsync(user, settings, "Tell me a story before you go", Ct)).Value!;
        Assert.NotNull(fixture.Runner.Find(running.AssistantMessageId));

        var drained = fixture.Runner.DrainAsync(TimeSpan.FromMinutes(2), Ct);
        var refused = await fixture.Chat.StartChatAsync(user, settings, "And one more?", Ct);
        Assert.False(refused.Succeeded); // draining: a new answer would have to be handed back at once
        await drained;

        var saved = (await fixture.MessageAsync(running.AssistantMessageId))!;
        Assert.Equal((MessageStatus.Complete, ProviderFixtures.OpenAIStreamText()), (saved.Status, saved.Content));
    }
}
