using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Benchmarks;

/// <summary>
/// The generation queue with real workers: two processes of the app's own executable on one scratch Postgres, a mock
/// upstream that answers after 20 ms. Measures claim latency from insert to start with LISTEN/NOTIFY (jobs queued one
/// at a time to idle workers), then jobs per second through both workers for a burst queued in one transaction, and
/// checks that no job ran twice and that a high-priority job queued behind the burst starts within the next claim.
/// </summary>
internal static class QueueThroughput
{
    private const string Model = "mock/quick";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("Usage: queue <path to MrPrompt.Web.dll> [burst jobs, default 10000] [latency jobs, default 500]");
            return 2;
        }
        var appDll = Path.GetFullPath(args[0]);
        var burst = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
        var latencyJobs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 500;
        var work = Path.Combine(Path.GetTempPath(), "mrprompt-bench", "queue-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        await using var server = new EmbeddedPostgresServer(new EmbeddedPostgresOptions(Path.Combine(work, "postgres"), null, "bench"), NullLogger<EmbeddedPostgresServer>.Instance);
        await server.StartAsync();
        var mock = MockUpstream.RunAsync(["5311"]);
        var workers = new List<Process>();
        try
        {
            await using var services = await BenchServices.StartAsync(server.ConnectionString(), new Dictionary<string, string?>
            {
                ["Jobs:MaxOpenPerUser"] = "10000",
                ["Providers:mock:Kind"] = "OpenAICompatible",
                ["Providers:mock:BaseUrl"] = "http://127.0.0.1:5311/v1",
                ["Providers:mock:ApiKey"] = "bench",
                ["Providers:mock:Models:0"] = "quick",
            });
            var user = await UserAsync(services);
            for (var i = 0; i < 2; i++)
            {
                workers.Add(StartWorker(appDll, server, work));
            }
            await UntilAsync(services, async db => await db.WorkerHeartbeats.CountAsync() == 2, "both workers report in");

            var chat = services.GetRequiredService<ChatService>();
            Console.WriteLine("warm-up: 1,000 jobs");
            await QueueOneByOneAsync(chat, user, 1_000, pause: TimeSpan.Zero);
            await UntilAsync(services, async db => !await db.GenerationJobs.AnyAsync(j => j.Status != JobStatus.Completed), "the warm-up ends");

            Console.WriteLine($"claim latency: {latencyJobs} jobs queued one at a time, 20 ms apart, to idle workers");
            var since = DateTimeOffset.UtcNow;
            await QueueOneByOneAsync(chat, user, latencyJobs, pause: TimeSpan.FromMilliseconds(20));
            await UntilAsync(services, async db => !await db.GenerationJobs.AnyAsync(j => j.Status != JobStatus.Completed), "the latency jobs end");
            await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
            var latencies = (await db.GenerationJobs.AsNoTracking().Where(j => j.CreatedAt >= since).Select(j => new { j.CreatedAt, j.StartedAt }).ToListAsync())
                .Select(j => (j.StartedAt!.Value - j.CreatedAt).TotalMilliseconds).Order().ToList();

            Console.WriteLine($"burst: {burst:N0} jobs queued in one transaction, then one at priority 10");
            var burstIds = await QueueBurstAsync(services, chat, user, burst);
            var urgent = await chat.QueueQuestionAsync(user, new QueuedQuestion(null, "urgent", Model, Priority: 10));
            await UntilAsync(services, async d => !await d.GenerationJobs.AnyAsync(j => j.Status != JobStatus.Completed && j.Status != JobStatus.Failed), "the burst ends", TimeSpan.FromMinutes(10));
            var jobs = await db.GenerationJobs.AsNoTracking().Where(j => burstIds.Contains(j.Id)).Select(j => new { j.Status, j.Attempts, j.StartedAt, j.FinishedAt }).ToListAsync();
            var high = await db.GenerationJobs.AsNoTracking().SingleAsync(j => j.Id == urgent.Value!.JobId);
            var overtaken = jobs.Count(j => j.StartedAt > high.CreatedAt && j.StartedAt < high.StartedAt);
            var seconds = (jobs.Max(j => j.FinishedAt!.Value) - jobs.Min(j => j.StartedAt!.Value)).TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(3)); // the workers' usage writers flush in batches
            var usageRows = await db.UsageRecords.AsNoTracking().Where(u => u.JobId != null && burstIds.Contains(u.JobId.Value))
                .GroupBy(u => u.JobId).Select(g => g.Count()).ToListAsync();

            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                | measure | result | goal |
                |---|---|---|
                | claim latency, insert to start (NOTIFY), p50 / p99 / max | {Percentile(latencies, 0.50):0.0} / {Percentile(latencies, 0.99):0.0} / {latencies[^1]:0.0} ms ({latencies.Count} jobs) | ≤ 5 / ≤ 20 ms |
                | jobs per second, 2 workers × {32} slots, 20 ms upstream | {burst / seconds:0} /s ({burst:N0} jobs in {seconds:0.0} s) | ≥ 1,000 /s |
                | jobs run more than once (attempts > 1, or > 1 usage row) | {jobs.Count(j => j.Attempts > 1) + usageRows.Count(c => c > 1)} | 0 |
                | jobs completed / usage rows | {jobs.Count(j => j.Status == JobStatus.Completed):N0} / {usageRows.Sum():N0} | {burst:N0} / {burst:N0} |
                | burst jobs started between the priority-10 job's insert and its start | {overtaken} (claims already under way: at most 2 × 32) | ≤ 64 |
                """));
            return 0;
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Kill(entireProcessTree: true);
                await worker.WaitForExitAsync();
            }
            await server.StopAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    private static Process StartWorker(string appDll, EmbeddedPostgresServer server, string work)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(appDll)!, UseShellExecute = false };
        start.ArgumentList.Add(appDll);
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Default"] = server.AppConnectionString(),
            ["ConnectionStrings__Migrations"] = server.ConnectionString(),
            ["Database__DataDir"] = Path.Combine(work, "app", "postgres"),
            ["DataProtection__CertificatePasswordPath"] = Path.Combine(work, "keyring-password"),
            ["Providers__mock__Kind"] = "OpenAICompatible",
            ["Providers__mock__BaseUrl"] = "http://127.0.0.1:5311/v1",
            ["Providers__mock__ApiKey"] = "bench",
            ["Providers__mock__Models__0__Id"] = "quick",
            ["Providers__mock__Models__0__InputPrice"] = "0.1",
            ["Providers__mock__Models__0__OutputPrice"] = "0.1",
            ["Limits__RequestsPerMinute"] = "100000000",
            ["Limits__TokensPerMinute"] = "1000000000",
            ["Limits__MaxOpenCallsPerUser"] = "10000",
            ["Chat__GenerateTitles"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
        })
        {
            start.Environment[key] = value;
        }
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start a worker.");
    }

    private static async Task<Guid> UserAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = new ApplicationUser { UserName = "queue-bench@example.com", Email = "queue-bench@example.com", EmailConfirmed = true };
        var created = await users.CreateAsync(user, "Bench-pass1");
        return created.Succeeded ? user.Id : throw new InvalidOperationException(string.Join(" ", created.Errors.Select(e => e.Description)));
    }

    private static async Task QueueOneByOneAsync(ChatService chat, Guid user, int count, TimeSpan pause)
    {
        for (var i = 0; i < count; i++)
        {
            var queued = await chat.QueueQuestionAsync(user, new QueuedQuestion(null, $"Question {i}", Model));
            if (!queued.Succeeded)
            {
                throw new InvalidOperationException(queued.Problem!.Message);
            }
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause);
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> questions, each its own chat with its queued answer, committed together (as many callers
    /// would, but in one go so the workers meet a full queue). Returns the jobs' ids.
    /// </summary>
    private static async Task<HashSet<Guid>> QueueBurstAsync(IServiceProvider services, ChatService chat, Guid user, int count)
    {
        var template = await chat.QueueQuestionAsync(user, new QueuedQuestion(null, "template", Model, Priority: -10));
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var payload = (await db.GenerationJobs.AsNoTracking().SingleAsync(j => j.Id == template.Value!.JobId)).Payload;
        var ids = new HashSet<Guid>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var session = new ChatSession { Id = Guid.CreateVersion7(), UserId = user, Model = Model, Title = $"Burst {i}", LastActivityAt = now };
            var question = new Message { Id = Guid.CreateVersion7(), SessionId = session.Id, Sequence = 1, Sender = MessageSender.User, Content = $"Burst {i}" };
            var answer = new Message { Id = Guid.CreateVersion7(), SessionId = session.Id, Sequence = 2, Sender = MessageSender.Assistant, Status = MessageStatus.Streaming };
            var job = new GenerationJob
            {
                Id = Guid.CreateVersion7(), Kind = JobKind.ChatAnswer, UserId = user, SessionId = session.Id, MessageId = answer.Id,
                Payload = payload, MaxAttempts = 3, RunAfter = now,
            };
            db.AddRange(session, question, answer, job);
            ids.Add(job.Id);
        }
        await db.SaveChangesAsync();
        return ids;
    }

    private static async Task UntilAsync(IServiceProvider services, Func<AppDbContext, Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using (var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
            {
                if (await condition(db))
                {
                    return;
                }
            }
            if (clock.Elapsed > (timeout ?? TimeSpan.FromMinutes(3)))
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
            await Task.Delay(100);
        }
    }

    private static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
