using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Jobs;

/// <summary>
/// The queue against real crashes: the app's own executable works through 1,000 queued jobs against the fake upstream
/// while it is killed with SIGKILL 50 times at random moments and started again (scale with <c>MRP_CRASH_JOBS</c> and
/// <c>MRP_CRASH_KILLS</c>). Every job must end, with exactly one answer each, none left streaming. And two processes
/// sharing 10,000 short jobs (<c>MRP_QUEUE_JOBS</c>) run each exactly once, a priority job queued behind them first.
/// </summary>
public sealed class CrashSafetyTests(PostgresServer server) : IAsyncLifetime
{
    private static readonly int Jobs = Scale("MRP_CRASH_JOBS", 1000);
    private static readonly int Kills = Scale("MRP_CRASH_KILLS", 50);
    private static readonly int ShortJobs = Scale("MRP_QUEUE_JOBS", 10_000);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _workDir = TestDirectories.Create("crash");
    private FakeProviderServer _upstream = null!;
    private ServiceProvider _services = null!;
    private string _connectionString = "";
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    public async ValueTask InitializeAsync()
    {
        _upstream = await FakeProviderServer.StartAsync();
        // About 0.2 s before the first word and 0.2 s of words (a pause every 16 of the 716 chunks) per answer: 8 workers
        // (below) need most of the 50 lives for 1,000 jobs, so kills land before first words, mid-answer and between answers.
        _upstream.FirstByteDelay = TimeSpan.FromMilliseconds(200);
        _upstream.ChunkDelay = TimeSpan.FromMilliseconds(1);
        _upstream.ChunkDelayEvery = 16;
        _connectionString = await server.CreateDatabaseAsync("crash");
        _services = TestDatabase.BuildServices(_connectionString, TimeProvider.System, new Dictionary<string, string?>
        {
            ["Jobs:MaxOpenPerUser"] = "10000",
        });
        await _services.GetRequiredService<DatabaseStartup>().RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _upstream.DisposeAsync();
        TestDirectories.Delete(_workDir);
    }

    [Fact]
    public async Task Jobs_worked_through_by_a_process_killed_at_random_moments_all_end_with_exactly_one_answer_each()
    {
        var user = await TestUsers.RegisterAsync(_services);
        var chat = _services.GetRequiredService<ChatService>();
        for (var i = 0; i < Jobs; i++)
        {
            var queued = await chat.QueueQuestionAsync(user, new QueuedQuestion(null, $"Question {i}", "openai/gpt-4o-mini"), Ct);
            Assert.True(queued.Succeeded, queued.Problem?.Message);
        }

        var random = new Random(20261205);
        var starts = 0;
        for (var kill = 0; kill < Kills; kill++)
        {
            using var process = StartApp();
            starts++;
            await WaitUntilWorkingAsync(process);
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 1500)), Ct); // a random moment of its work
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }
        var progressBeforeTheLastStart = await CountAsync(open: false);
        using (var last = StartApp())
        {
            starts++;
            await WaitUntilAsync(async () => await CountAsync(open: true) == 0, TimeSpan.FromMinutes(3), "every job ends", StateAsync);
            AppProcess.Terminate(last);
            await last.WaitForExitAsync(Ct);
        }

        await using var db = await _services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        using var system = DataScope.AsSystem("test: the crash's aftermath");
        var jobs = await db.GenerationJobs.AsNoTracking().Where(j => j.UserId == user).ToListAsync(Ct);
        var sessions = jobs.Select(j => j.SessionId).ToList();
        var answers = await db.Messages.AsNoTracking().Where(m => sessions.Contains(m.SessionId) && m.Sender == MessageSender.Assistant).ToListAsync(Ct);
        Assert.Equal(Jobs, jobs.Count);
        Assert.All(jobs, j => Assert.Contains(j.Status, new[] { JobStatus.Completed, JobStatus.Failed }));
        Assert.Equal(Jobs, answers.Count);
        Assert.Equal(Jobs, answers.Select(a => a.SessionId).Distinct().Count()); // one answer per chat: no duplicates
        Assert.DoesNotContain(answers, a => a.Status == MessageStatus.Streaming);
        var byMessage = answers.ToDictionary(a => a.Id);
        foreach (var job in jobs)
        {
            var answer = byMessage[job.MessageId!.Value];
            if (job.Status == JobStatus.Completed)
            {
                Assert.Equal((MessageStatus.Complete, ProviderFixtures.OpenAIStreamText()), (answer.Status, answer.Content));
            }
            else
            {
                // Interrupted mid-answer: the text saved before the kill, never a mix of two runs.
                Assert.Equal("interrupted", job.ErrorCode);
                Assert.StartsWith(answer.Content, ProviderFixtures.OpenAIStreamText(), StringComparison.Ordinal);
            }
        }
        Assert.True(progressBeforeTheLastStart > 0, "the killed processes got some work done");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Jobs} jobs, {Kills} kills, {starts} starts: {jobs.Count(j => j.Status == JobStatus.Completed)} completed, " +
            $"{jobs.Count(j => j.Status == JobStatus.Failed)} interrupted mid-answer, {jobs.Count(j => j.Status == JobStatus.Completed && j.Attempts > 1)} completed " +
            $"on a later run after a kill before their first words, {progressBeforeTheLastStart} ended before the last start");
    }

    [Fact]
    public async Task Two_worker_processes_run_ten_thousand_short_jobs_each_exactly_once_and_a_priority_job_overtakes_them()
    {
        // Short jobs: the offline demo model echoes the two-word question at once. The queue is under test here, not a
        // provider (the crash test above streams real recorded answers).
        var user = await TestUsers.RegisterAsync(_services);
        var chat = _services.GetRequiredService<ChatService>();
        var template = await chat.QueueQuestionAsync(user, new QueuedQuestion(null, "template", "echo/echo"), Ct);
        var burst = new HashSet<Guid> { template.Value!.JobId };
        await using (var db = await _services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            // The rest added straight to the table in one transaction, as 9,999 callers would: the workers meet a full queue.
            var payload = (await db.GenerationJobs.AsNoTracking().SingleAsync(j => j.Id == template.Value.JobId, Ct)).Payload;
            // One place is kept for the priority job: an account may have 10,000 open jobs at most (Jobs:MaxOpenPerUser).
            for (var i = 1; i < ShortJobs - 1; i++)
            {
                var session = new ChatSession { Id = Guid.CreateVersion7(), UserId = user, Model = "echo/echo", Title = $"Short {i}" };
                var answer = new Message { Id = Guid.CreateVersion7(), SessionId = session.Id, Sequence = 2, Sender = MessageSender.Assistant, Status = MessageStatus.Streaming };
                var job = new GenerationJob { Id = Guid.CreateVersion7(), Kind = JobKind.ChatAnswer, UserId = user, SessionId = session.Id, MessageId = answer.Id, Payload = payload, MaxAttempts = 3, RunAfter = DateTimeOffset.UtcNow };
                db.AddRange(session, new Message { Id = Guid.CreateVersion7(), SessionId = session.Id, Sequence = 1, Sender = MessageSender.User, Content = $"Short {i}" }, answer, job);
                burst.Add(job.Id);
            }
            await db.SaveChangesAsync(Ct);
        }

        using var first = StartApp(workers: 32);
        using var second = StartApp(workers: 32);
        await WaitUntilWorkingAsync(first);
        var urgent = await chat.QueueQuestionAsync(user, new QueuedQuestion(null, "urgent", "echo/echo", Priority: 10), Ct);
        Assert.True(urgent.Succeeded, urgent.Problem?.Message);
        await WaitUntilAsync(async () => await CountAsync(open: true) == 0, TimeSpan.FromMinutes(5), "every job ends", StateAsync);
        await UsageRowsAsync(ShortJobs);
        AppProcess.Terminate(first);
        AppProcess.Terminate(second);

        await using var check = await _services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        using var system = DataScope.AsSystem("test: the burst's aftermath");
        var jobs = await check.GenerationJobs.AsNoTracking().Where(j => j.UserId == user).ToListAsync(Ct);
        var runs = await check.UsageRecords.AsNoTracking().Where(u => u.JobId != null).GroupBy(u => u.JobId!.Value).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(Ct);
        Assert.Equal(ShortJobs, jobs.Count);
        Assert.All(jobs, j => Assert.Equal((JobStatus.Completed, 1), (j.Status, j.Attempts)));
        Assert.Equal(ShortJobs, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Count)); // one provider call per job: none ran twice
        var high = jobs.Single(j => j.Id == urgent.Value!.JobId);
        var overtaken = jobs.Count(j => burst.Contains(j.Id) && j.StartedAt > high.CreatedAt && j.StartedAt < high.StartedAt);
        Assert.True(overtaken <= 2 * 32, $"{overtaken} jobs queued before it started after the priority job was queued: more than the claims under way");
        Assert.Contains(jobs, j => burst.Contains(j.Id) && j.StartedAt > high.StartedAt); // it did not simply come last
        TestContext.Current.TestOutputHelper?.WriteLine($"{ShortJobs:N0} jobs through two processes in {(jobs.Max(j => j.FinishedAt!.Value) - jobs.Min(j => j.StartedAt!.Value)).TotalSeconds:0.0} s; the priority job was overtaken by {overtaken}");
    }

    /// <summary>The workers write usage rows in batches behind the answers; on a busy machine (the whole suite in parallel) they lag.</summary>
    private async Task UsageRowsAsync(int expected) =>
        await WaitUntilAsync(async () =>
        {
            await using var db = await _services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
            return await db.UsageRecords.CountAsync(u => u.JobId != null, Ct) >= expected;
        }, TimeSpan.FromMinutes(3), $"every run's usage row is written ({expected})", async () =>
        {
            await using var db = await _services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
            return $"{await db.UsageRecords.CountAsync(u => u.JobId != null, Ct)} usage rows. {await StateAsync()}";
        });

    private Process StartApp(int workers = 8)
    {
        var process = AppProcess.Start(_workDir, new Dictionary<string, string>
        {
            ["ConnectionStrings__Default"] = server.AsAppRole(_connectionString),
            ["ConnectionStrings__Migrations"] = _connectionString,
            ["Database__DataDir"] = Path.Combine(_workDir, "data", "postgres"),
            ["DataProtection__CertificatePasswordPath"] = Path.Combine(_workDir, "keyring-password"),
            ["Providers__openai__Kind"] = "OpenAI",
            ["Providers__openai__BaseUrl"] = _upstream.OpenAIBaseUrl,
            ["Providers__openai__ApiKey"] = FakeProviderServer.ValidKey,
            ["Providers__openai__Models__0__Id"] = "gpt-4o-mini",
            ["Gateway__EchoWordDelayMilliseconds"] = "0",
            ["Jobs__Workers"] = workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Jobs__LeaseSeconds"] = "2",
            ["Jobs__LeaseGraceSeconds"] = "1",
            ["Jobs__PollSeconds"] = "0.25",
            ["Chat__PersistIntervalMilliseconds"] = "100",
            ["Chat__GenerateTitles"] = "false",
            ["Limits__RequestsPerMinute"] = "1000000",
            ["Limits__TokensPerMinute"] = "1000000000",
            ["Limits__MaxOpenCallsPerUser"] = "10000",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__MrPrompt"] = "Information",
        });
        // Its output is drained (a full pipe would stall it) and the last lines kept to explain a failed start.
        void Keep(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is { } line)
            {
                _output.Enqueue(line);
                while (_output.Count > 40 && _output.TryDequeue(out _))
                {
                }
            }
        }
        process.OutputDataReceived += Keep;
        process.ErrorDataReceived += Keep;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Until the process's queue worker has reported in (its first lease renewal), so each kill lands in its work, not its start.</summary>
    private Task WaitUntilWorkingAsync(Process process) =>
        WaitUntilAsync(async () =>
        {
            Assert.False(process.HasExited, $"The app exited before working:\n{string.Join('\n', _output)}");
            await using var db = await _services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
            return await db.WorkerHeartbeats.AnyAsync(w => w.Name.Contains($"/{process.Id}/"), Ct);
        }, TimeSpan.FromSeconds(90), "the worker reports in");

    private async Task<int> CountAsync(bool open)
    {
        await using var db = await _services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        using var system = DataScope.AsSystem("test: counting jobs");
        return open
            ? await db.GenerationJobs.CountAsync(j => j.Status == JobStatus.Pending || j.Status == JobStatus.Processing || j.Status == JobStatus.Retrying, Ct)
            : await db.GenerationJobs.CountAsync(j => j.Status == JobStatus.Completed || j.Status == JobStatus.Failed, Ct);
    }

    /// <summary>Looks at the database every 50 ms until <paramref name="condition"/> holds: the app is another process, with nothing to signal.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<Task<string>>? explain = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                Assert.Fail($"Timed out waiting until {what}. {(explain is null ? "" : await explain())}");
            }
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>Jobs by status and the app's last lines, for a run that does not end.</summary>
    private async Task<string> StateAsync()
    {
        await using var db = await _services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        var statuses = await db.GenerationJobs.GroupBy(j => j.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(Ct);
        return $"Jobs: {string.Join(", ", statuses.Select(s => $"{s.Key} {s.Count}"))}. Output:\n{string.Join('\n', _output)}";
    }

    private static int Scale(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var value) && value > 0 ? value : fallback;
}
