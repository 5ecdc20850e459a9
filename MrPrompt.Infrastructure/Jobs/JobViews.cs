using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Jobs;

/// <summary>A job as its owner sees it (docs/contracts.md, "Chat jobs API").</summary>
public sealed record JobView(
    Guid JobId,
    Guid SessionId,
    Guid MessageId,
    JobStatus Status,
    int Progress,
    JobAnswer? Result,
    string? Error,
    string? ErrorCode,
    int RetryCount,
    long? ProcessingTimeMs,
    int? QueuePosition,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>The answer a job wrote (so far, while it runs).</summary>
public sealed record JobAnswer(Guid MessageId, string Content, DateTimeOffset CreatedAt);

public sealed record JobListView(IReadOnlyList<JobView> Jobs, JobStats Stats);

public sealed record JobStats(int TotalJobs, int CompletedJobs, int FailedJobs, long AverageProcessingTimeMs);

/// <summary>Where a new job stands: its place in the line and a rough wait.</summary>
public sealed record QueuePlace(int Position, long EstimatedDurationMs);

/// <summary>
/// The read side of the queue for its owners: one job, a chat's jobs with their figures, a job's place in the line.
/// Every read runs in the owner's scope, so row-level security sees to it that nobody reads another's job.
/// </summary>
public sealed class JobViews(IDbContextFactory<AppDbContext> contexts, IOptions<JobOptions> options, TimeProvider clock)
{
    /// <summary>Most jobs one list returns.</summary>
    public const int MaxListLength = 100;

    /// <summary>How many recent finished jobs the wait estimate averages.</summary>
    private const int EstimateSample = 50;

    public async Task<JobView?> GetAsync(Guid userId, Guid jobId, CancellationToken cancellationToken = default)
    {
        using var scope = DataScope.ForUser(userId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await Rows(db, db.GenerationJobs.Where(j => j.Id == jobId && j.UserId == userId)).FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }
        var position = row.Job.Status is JobStatus.Pending or JobStatus.Retrying ? await PositionAsync(row.Job, cancellationToken) : (int?)null;
        return View(row, position);
    }

    /// <summary>The newest <paramref name="limit"/> jobs of a chat (or of all the user's chats), and figures over all of them.</summary>
    public async Task<JobListView> ListAsync(Guid userId, Guid? sessionId, int limit, CancellationToken cancellationToken = default)
    {
        using var scope = DataScope.ForUser(userId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var jobs = db.GenerationJobs.Where(j => j.UserId == userId && (sessionId == null || j.SessionId == sessionId));
        var newest = jobs.OrderByDescending(j => j.Id).Take(Math.Clamp(limit, 1, MaxListLength));
        var rows = (await Rows(db, newest).ToListAsync(cancellationToken)).OrderByDescending(r => r.Job.Id).ToList();
        var stats = await jobs
            .GroupBy(_ => 1)
            .Select(g => new
            {
                Total = g.Count(),
                Completed = g.Count(j => j.Status == JobStatus.Completed),
                Failed = g.Count(j => j.Status == JobStatus.Failed),
                AverageMs = g.Where(j => j.Status == JobStatus.Completed && j.StartedAt != null && j.FinishedAt != null)
                    .Average(j => (double?)(j.FinishedAt!.Value - j.StartedAt!.Value).TotalMilliseconds),
            })
            .FirstOrDefaultAsync(cancellationToken);
        // Positions are only asked for the waiting jobs on the page (rarely more than a few).
        var views = new List<JobView>(rows.Count);
        foreach (var row in rows)
        {
            views.Add(View(row, row.Job.Status is JobStatus.Pending or JobStatus.Retrying ? await PositionAsync(row.Job, cancellationToken) : null));
        }
        return new JobListView(views, new JobStats(stats?.Total ?? 0, stats?.Completed ?? 0, stats?.Failed ?? 0, (long)Math.Round(stats?.AverageMs ?? 0)));
    }

    /// <summary>
    /// Where <paramref name="jobId"/> stands among all waiting jobs (1 = next), and a rough wait: recent jobs' average
    /// run time for each round of the instance's workers ahead of it. Counts only, across accounts; no row is read.
    /// </summary>
    public async Task<QueuePlace> PlaceAsync(Guid userId, Guid jobId, CancellationToken cancellationToken = default)
    {
        GenerationJob? job;
        using (DataScope.ForUser(userId))
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            job = await db.GenerationJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && j.UserId == userId, cancellationToken);
        }
        if (job is null)
        {
            return new QueuePlace(0, 0);
        }
        var position = await PositionAsync(job, cancellationToken);
        using var system = DataScope.AsSystem("queue wait estimate");
        await using var counts = await contexts.CreateDbContextAsync(cancellationToken);
        var recent = await counts.GenerationJobs
            .Where(j => j.Status == JobStatus.Completed && j.StartedAt != null && j.FinishedAt != null)
            .OrderByDescending(j => j.FinishedAt)
            .Take(EstimateSample)
            .Select(j => (j.FinishedAt!.Value - j.StartedAt!.Value).TotalMilliseconds)
            .ToListAsync(cancellationToken);
        var average = recent.Count == 0 ? 0 : recent.Average();
        var rounds = 1 + (Math.Max(position, 1) - 1) / options.Value.Workers;
        return new QueuePlace(position, (long)Math.Round(average * rounds));
    }

    private async Task<int> PositionAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        using var system = DataScope.AsSystem("queue position");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The claim's own order (priority, then id: version 7 ids sort by age).
        var ahead = await db.Database.SqlQuery<long>($"""
            SELECT count(*) AS "Value" FROM generation_jobs
            WHERE status IN ('Pending', 'Retrying') AND (priority > {job.Priority} OR (priority = {job.Priority} AND id < {job.Id}))
            """).SingleAsync(cancellationToken);
        return (int)ahead + 1;
    }

    /// <summary><paramref name="jobs"/> with their answers' text and time.</summary>
    private static IQueryable<JobRow> Rows(AppDbContext db, IQueryable<GenerationJob> jobs) =>
        jobs.AsNoTracking().Join(db.Messages.AsNoTracking(), j => j.MessageId, m => m.Id, (j, m) => new JobRow(j, m.Content, m.CreatedAt));

    private JobView View(JobRow row, int? position)
    {
        var job = row.Job;
        var end = job.FinishedAt ?? (job.Status == JobStatus.Processing ? clock.GetUtcNow() : null);
        return new JobView(
            job.Id,
            job.SessionId!.Value,
            job.MessageId!.Value,
            job.Status,
            ProgressOf(job.Status, row.Content.Length),
            row.Content.Length > 0 || job.Status == JobStatus.Completed ? new JobAnswer(job.MessageId!.Value, row.Content, row.CreatedAt) : null,
            job.ErrorMessage,
            job.ErrorCode,
            Math.Max(0, job.Attempts - 1),
            job.StartedAt is { } started && end is { } ended ? (long)(ended - started).TotalMilliseconds : null,
            position,
            job.CreatedAt,
            job.UpdatedAt);
    }

    /// <summary>
    /// A percentage by stage, since an answer's length is not known until it ends: waiting 0, running without text 10,
    /// writing 50, ended 100.
    /// </summary>
    private static int ProgressOf(JobStatus status, int characters) => status switch
    {
        JobStatus.Pending or JobStatus.Retrying => 0,
        JobStatus.Processing => characters == 0 ? 10 : 50,
        _ => 100,
    };

    private sealed record JobRow(GenerationJob Job, string Content, DateTimeOffset CreatedAt);
}
