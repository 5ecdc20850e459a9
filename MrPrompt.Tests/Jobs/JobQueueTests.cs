using MrPrompt.Infrastructure.Cluster;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Jobs;

/// <summary>The chat services on a clock the tests move, with one gateway attempt per job run (the queue does the retrying here).</summary>
public sealed class JobsFixture(PostgresServer server) : ChatFixture(server)
{
    public FakeTimeProvider FakeClock { get; } = new(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero));

    protected override TimeProvider Clock => FakeClock;

    public JobQueue Queue => Services.GetRequiredService<JobQueue>();
    public InstanceIdentity Worker => Services.GetRequiredService<InstanceIdentity>();

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Gateway:MaxAttempts"] = "1";
        settings["Jobs:MaxAttempts"] = "3";
        settings["Jobs:BackoffBaseSeconds"] = "2";
        settings["Jobs:LeaseSeconds"] = "15";
        settings["Jobs:LeaseGraceSeconds"] = "5";
        settings["Jobs:MaxOpenPerUser"] = "1000";
    }

    /// <summary>A question queued as the job API queues it: waiting, for any instance.</summary>
    public async Task<Exchange> QueueAsync(Guid user, string text = "Hello", int priority = 0, string model = OpenAIModel)
    {
        var queued = await Chat.QueueQuestionAsync(user, new QueuedQuestion(null, text, model, Priority: priority));
        return queued.Value ?? throw new InvalidOperationException(queued.Problem!.Message);
    }

    public async Task<GenerationJob> JobAsync(Guid jobId)
    {
        await using var db = await DbAsync();
        return await db.GenerationJobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
    }
}

/// <summary>
/// The queue's moves against real Postgres on a fake clock (docs/contracts.md, "Generation jobs"): lease boundaries, the
/// back-off curve and the last attempt, exactly-once ends, priority order, concurrent claims and cancelling.
/// </summary>
public sealed class JobQueueTests(JobsFixture fixture) : IClassFixture<JobsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_lease_that_ran_out_one_second_ago_is_kept_and_one_past_the_grace_is_taken_back()
    {
        var user = await fixture.NewUserAsync();
        var quiet = (await fixture.QueueAsync(user, "no text yet")).JobId;
        var halfway = await fixture.QueueAsync(user, "some text");
        var claimed = await ClaimAllAsync("instance-that-dies");
        Assert.Contains(claimed, j => j.Id == quiet);
        await using (var db = await fixture.DbAsync())
        {
            await db.Messages.Where(m => m.Id == halfway.AssistantMessageId).ExecuteUpdateAsync(s => s.SetProperty(m => m.Content, "Half an ans"), Ct);
        }

        fixture.FakeClock.Advance(TimeSpan.FromSeconds(15 + 1)); // the lease ran out 1 s ago
        await fixture.Queue.RescueAbandonedAsync(Ct);
        Assert.Equal(JobStatus.Processing, (await fixture.JobAsync(quiet)).Status);
        Assert.Equal(JobStatus.Processing, (await fixture.JobAsync(halfway.JobId)).Status);

        fixture.FakeClock.Advance(TimeSpan.FromSeconds(4.5)); // ran out 5.5 s ago: past the 5 s grace
        var rescued = await SweepAllAsync();

        Assert.True(rescued >= 2, $"took back {rescued}");
        var requeued = await fixture.JobAsync(quiet);
        Assert.Equal(JobStatus.Pending, requeued.Status); // nothing was written: it simply runs again
        Assert.Null(requeued.LeaseOwner);
        Assert.Equal(1, requeued.Attempts);
        var interrupted = await fixture.JobAsync(halfway.JobId);
        Assert.Equal(JobStatus.Failed, interrupted.Status); // text was streamed: kept, not written twice
        Assert.Equal("interrupted", interrupted.ErrorCode);
        var answer = (await fixture.MessageAsync(halfway.AssistantMessageId))!;
        Assert.Equal(MessageStatus.Incomplete, answer.Status);
        Assert.Equal("Half an ans", answer.Content);
        Assert.Equal(MessageStatus.Streaming, (await fixture.MessageAsync((await fixture.JobAsync(quiet)).MessageId!.Value))!.Status);
    }

    [Fact]
    public async Task A_job_failing_before_its_first_token_backs_off_on_the_curve_and_fails_exactly_at_its_last_attempt()
    {
        var user = await fixture.NewUserAsync();
        // A model without fallbacks: the failures reach the queue instead of being answered by the next model.
        var exchange = await fixture.QueueAsync(user, "Will the provider answer?", model: ChatFixture.SmallContextModel);
        fixture.Upstream.Enqueue(Fault.Status(503), Fault.Status(503), Fault.Status(503));

        var expected = new[] { 2.0, 4.0 };
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var job = Assert.Single(await ClaimAllAsync(fixture.Worker.Name), j => j.Id == exchange.JobId);
            Assert.Equal(attempt, job.Attempts);
            await fixture.Runner.Run(job).Finished.WaitAsync(TimeSpan.FromSeconds(30), Ct);

            var after = await fixture.JobAsync(exchange.JobId);
            if (attempt < 3)
            {
                Assert.Equal(JobStatus.Retrying, after.Status);
                Assert.Equal("provider_unavailable", after.ErrorCode);
                var wait = (after.RunAfter - fixture.FakeClock.GetUtcNow()).TotalSeconds;
                Assert.InRange(wait, expected[attempt - 1] * 0.9, expected[attempt - 1] * 1.1);
                Assert.DoesNotContain(await ClaimAllAsync(fixture.Worker.Name), j => j.Id == exchange.JobId); // not before its time
                // A millisecond past: the wait read back as seconds can fall a tick short of the microsecond the database keeps.
                fixture.FakeClock.Advance(TimeSpan.FromSeconds(wait) + TimeSpan.FromMilliseconds(1));
                Assert.Equal(MessageStatus.Streaming, (await fixture.MessageAsync(exchange.AssistantMessageId))!.Status);
            }
            else
            {
                Assert.Equal(JobStatus.Failed, after.Status);
                Assert.Equal(3, after.Attempts);
                Assert.NotNull(after.FinishedAt);
                var answer = (await fixture.MessageAsync(exchange.AssistantMessageId))!;
                Assert.Equal(MessageStatus.Failed, answer.Status);
                Assert.Equal("provider_unavailable", answer.ErrorCode);
            }
        }
        Assert.Equal(3, fixture.Upstream.Requests.Count(r => r.IsChat && r.Body!.Contains("Will the provider answer?", StringComparison.Ordinal)));
        var rows = await UsageRows.WaitForJobAsync(fixture.Services, exchange.JobId, 3);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(UsageSource.Job, r.Source));
    }

    [Fact]
    public async Task An_instance_that_lost_its_lease_cannot_finish_the_job_and_a_job_has_one_answer_only()
    {
        var user = await fixture.NewUserAsync();
        var exchange = await fixture.QueueAsync(user, "Who finishes me?");
        Assert.Contains(await ClaimAllAsync("instance-a"), j => j.Id == exchange.JobId);
        fixture.FakeClock.Advance(TimeSpan.FromSeconds(15 + 5 + 1));
        await SweepAllAsync();
        Assert.Contains(await ClaimAllAsync("instance-b"), j => j.Id == exchange.JobId);

        var late = await fixture.Queue.FinishAsync("instance-a", exchange.JobId, JobStatus.Completed, null,
            db => db.Messages.Where(m => m.Id == exchange.AssistantMessageId).ExecuteUpdateAsync(s => s.SetProperty(m => m.Content, "from a"), Ct), Ct);
        var owner = await fixture.Queue.FinishAsync("instance-b", exchange.JobId, JobStatus.Completed, null,
            db => db.Messages.Where(m => m.Id == exchange.AssistantMessageId).ExecuteUpdateAsync(s => s.SetProperty(m => m.Content, "from b").SetProperty(m => m.Status, MessageStatus.Complete), Ct), Ct);
        var again = await fixture.Queue.FinishAsync("instance-b", exchange.JobId, JobStatus.Completed, null,
            db => db.Messages.Where(m => m.Id == exchange.AssistantMessageId).ExecuteUpdateAsync(s => s.SetProperty(m => m.Content, "twice"), Ct), Ct);

        Assert.False(late);
        Assert.True(owner);
        Assert.False(again);
        Assert.Equal("from b", (await fixture.MessageAsync(exchange.AssistantMessageId))!.Content);
        await using var db = await fixture.DbAsync();
        var job = await fixture.JobAsync(exchange.JobId);
        db.GenerationJobs.Add(new GenerationJob { Id = Guid.CreateVersion7(), UserId = user, SessionId = job.SessionId, MessageId = job.MessageId, Payload = job.Payload });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(Ct)); // a second job for the same answer
    }

    [Fact]
    public async Task A_high_priority_job_queued_behind_500_low_ones_is_the_next_claimed()
    {
        await DrainAsync();
        var user = await fixture.NewUserAsync();
        var first = await fixture.QueueAsync(user, "low 0");
        fixture.FakeClock.Advance(TimeSpan.FromMilliseconds(1)); // version 7 ids order by time: the rest are younger
        await using (var db = await fixture.DbAsync())
        {
            // 499 more low-priority jobs in the same chat's history, added straight to the table (as 500 callers would).
            var template = await fixture.JobAsync(first.JobId);
            for (var i = 1; i < 500; i++)
            {
                var message = new Message { Id = Guid.CreateVersion7(fixture.FakeClock.GetUtcNow()), SessionId = first.SessionId, Sequence = 100 + i, Sender = MessageSender.Assistant, Status = MessageStatus.Streaming };
                db.Messages.Add(message);
                db.GenerationJobs.Add(new GenerationJob
                {
                    Id = Guid.CreateVersion7(fixture.FakeClock.GetUtcNow()), Kind = JobKind.ChatAnswer, UserId = user, SessionId = first.SessionId, MessageId = message.Id,
                    Payload = template.Payload, MaxAttempts = 3, RunAfter = fixture.FakeClock.GetUtcNow(),
                });
            }
            await db.SaveChangesAsync(Ct);
        }
        var urgent = await fixture.QueueAsync(user, "urgent", priority: 5);

        var next = await fixture.Queue.ClaimAsync("instance-a", 1, Ct);
        var following = await fixture.Queue.ClaimAsync("instance-a", 1, Ct);

        Assert.Equal(urgent.JobId, Assert.Single(next).Id);
        Assert.Equal(first.JobId, Assert.Single(following).Id); // then oldest first
        await DrainAsync();
    }

    [Fact]
    public async Task Two_claimers_at_once_never_take_the_same_job()
    {
        await DrainAsync();
        var user = await fixture.NewUserAsync();
        var queued = new List<Guid>();
        for (var i = 0; i < 200; i++)
        {
            queued.Add((await fixture.QueueAsync(user, $"job {i}")).JobId);
        }

        var claims = await Task.WhenAll(new[] { "instance-a", "instance-b" }.Select(owner => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            while (await fixture.Queue.ClaimAsync(owner, 7, Ct) is { Count: > 0 } batch)
            {
                mine.AddRange(batch.Select(j => j.Id));
            }
            return mine;
        }, Ct)));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(queued.Order(), all.Order());
        Assert.All(claims, c => Assert.NotEmpty(c)); // both really took part
    }

    [Fact]
    public async Task Cancelling_a_waiting_job_ends_it_and_its_answer_and_nobody_else_can_cancel_it()
    {
        var user = await fixture.NewUserAsync();
        var stranger = await fixture.NewUserAsync();
        var exchange = await fixture.QueueAsync(user, "Never mind");

        Assert.Null(await fixture.Queue.CancelAsync(stranger, exchange.JobId, Ct));
        Assert.Equal(JobStatus.Pending, (await fixture.JobAsync(exchange.JobId)).Status);
        Assert.Equal(JobStatus.Cancelled, await fixture.Queue.CancelAsync(user, exchange.JobId, Ct));
        Assert.Null(await fixture.Queue.CancelAsync(user, exchange.JobId, Ct)); // already ended

        Assert.Equal(MessageStatus.Cancelled, (await fixture.MessageAsync(exchange.AssistantMessageId))!.Status);
        Assert.DoesNotContain(await ClaimAllAsync("instance-a"), j => j.Id == exchange.JobId);
    }

    [Fact]
    public async Task A_job_whose_payload_cannot_be_read_fails_and_frees_its_place_instead_of_hanging()
    {
        var user = await fixture.NewUserAsync();
        var exchange = await fixture.QueueAsync(user, "unreadable");
        await using (var db = await fixture.DbAsync())
        {
            await db.GenerationJobs.Where(j => j.Id == exchange.JobId).ExecuteUpdateAsync(s => s.SetProperty(j => j.Payload, "null"), Ct);
        }
        var job = Assert.Single(await ClaimAllAsync(fixture.Worker.Name), j => j.Id == exchange.JobId);

        await fixture.Runner.Run(job).Finished.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(JobStatus.Failed, (await fixture.JobAsync(exchange.JobId)).Status);
        Assert.Equal(MessageStatus.Failed, (await fixture.MessageAsync(exchange.AssistantMessageId))!.Status);
        Assert.DoesNotContain(exchange.JobId, fixture.Runner.RunningJobs);
    }

    [Fact]
    public async Task A_job_given_back_at_shutdown_after_its_owner_asked_to_stop_is_cancelled_not_run_again()
    {
        var user = await fixture.NewUserAsync();
        var exchange = await fixture.QueueAsync(user, "stop me");
        Assert.Contains(await ClaimAllAsync("instance-a"), j => j.Id == exchange.JobId);
        Assert.Equal(JobStatus.Processing, await fixture.Queue.CancelAsync(user, exchange.JobId, Ct)); // flagged: it runs elsewhere

        await fixture.Queue.GiveBackAsync("instance-a", exchange.JobId, Ct);

        Assert.Equal(JobStatus.Cancelled, (await fixture.JobAsync(exchange.JobId)).Status);
        Assert.Equal(MessageStatus.Cancelled, (await fixture.MessageAsync(exchange.AssistantMessageId))!.Status);
        Assert.DoesNotContain(await ClaimAllAsync("instance-b"), j => j.Id == exchange.JobId);
    }

    [Fact]
    public async Task An_error_longer_than_its_column_is_kept_cut_to_fit_rather_than_losing_the_end()
    {
        var user = await fixture.NewUserAsync();
        var exchange = await fixture.QueueAsync(user, "long error");
        Assert.Contains(await ClaimAllAsync("instance-a"), j => j.Id == exchange.JobId);

        var ended = await fixture.Queue.FinishAsync("instance-a", exchange.JobId, JobStatus.Failed, ("model_not_offered", new string('m', 5000)),
            db => Task.CompletedTask, Ct);

        Assert.True(ended);
        var job = await fixture.JobAsync(exchange.JobId);
        Assert.Equal((JobStatus.Failed, 1000), (job.Status, job.ErrorMessage!.Length));
    }

    /// <summary>Claims every job whose time has come for <paramref name="owner"/>.</summary>
    private async Task<List<GenerationJob>> ClaimAllAsync(string owner)
    {
        var all = new List<GenerationJob>();
        while (await fixture.Queue.ClaimAsync(owner, 100, Ct) is { Count: > 0 } batch)
        {
            all.AddRange(batch);
        }
        return all;
    }

    /// <summary>
    /// Sweeps as rounds of the sweeper would until nothing is left to take back: a sweep takes at most 500, and other
    /// tests' claims in this shared database run out with the same move of the clock. Returns how many were taken back.
    /// </summary>
    private async Task<int> SweepAllAsync()
    {
        var rescued = 0;
        while (await fixture.Queue.RescueAbandonedAsync(Ct) is > 0 and var round)
        {
            rescued += round;
        }
        return rescued;
    }

    /// <summary>Takes every waiting job out of the way of a test that counts the queue.</summary>
    private async Task DrainAsync() => await ClaimAllAsync("drain");
}
