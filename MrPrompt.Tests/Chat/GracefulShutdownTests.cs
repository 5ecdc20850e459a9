using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Chat;

/// <summary>
/// The server going away mid-answer (the host stopping its services, its drain over): answers still being written are
/// stopped and handed back to the queue, their text dropped, to be written again by another instance; no new answer
/// starts. A class of its own: a stopped runner stays stopped for its fixture.
/// </summary>
public sealed class GracefulShutdownTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_the_server_hands_answers_in_flight_back_to_the_queue_and_refuses_new_ones()
    {
        var user = await fixture.NewUserAsync();
        fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(20);
        var settings = new SessionSettings(ChatFixture.OpenAIModel);
        var first = (await fixture.Chat.StartChatAsync(user, settings, "Tell me a long story", Ct)).Value!;
        var second = (await fixture.Chat.StartChatAsync(user, settings, "And another one", Ct)).Value!;
        await WrittenAsync(fixture.Runner.Find(first.AssistantMessageId)!, 20);
        await WrittenAsync(fixture.Runner.Find(second.AssistantMessageId)!, 20);

        await fixture.Runner.StopAsync(Ct);

        await using var db = await fixture.DbAsync();
        foreach (var exchange in new[] { first, second })
        {
            var saved = (await fixture.MessageAsync(exchange.AssistantMessageId))!;
            // Waiting to be written again from the start, by whichever instance claims it: no half answer is kept.
            Assert.Equal((MessageStatus.Streaming, ""), (saved.Status, saved.Content));
            var job = await db.GenerationJobs.AsNoTracking().SingleAsync(j => j.MessageId == exchange.AssistantMessageId, Ct);
            Assert.Equal((JobStatus.Pending, 0, null), (job.Status, job.Attempts, job.LeaseOwner)); // the attempt does not count
            Assert.Null(fixture.Runner.Find(exchange.AssistantMessageId));
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
