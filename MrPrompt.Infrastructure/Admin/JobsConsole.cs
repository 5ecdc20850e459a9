using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Admin;

/// <summary>The queue as an admin sees it: what waits, what runs where, what failed, and which instances are alive.</summary>
public sealed record JobsReport(
    IReadOnlyList<(int Priority, int Count)> WaitingByPriority,
    TimeSpan? OldestWaiting,
    IReadOnlyList<(string Instance, int Count)> RunningByInstance,
    IReadOnlyList<FailedJob> Failed,
    IReadOnlyList<WorkerView> Workers);

public sealed record FailedJob(Guid Id, JobKind Kind, string Owner, int Attempts, string? ErrorCode, string? Error, DateTimeOffset? FinishedAt);

/// <summary>An instance and whether it is still renewing (a heartbeat within two lease renewals).</summary>
public sealed record WorkerView(string Name, DateTimeOffset StartedAt, DateTimeOffset LastSeenAt, int Running, bool Alive);

/// <summary>
/// The admin console's view of the durable queue and its two actions on failed jobs: run again (from a fresh attempt
/// count, its answer emptied) or discard (cancelled, left as failed for its owner). Both are audited.
/// </summary>
public sealed class JobsConsole(IDbContextFactory<AppDbContext> contexts, AuditLog audit, IOptions<JobOptions> options, TimeProvider clock)
{
    /// <summary>Failed jobs listed, newest first.</summary>
    public const int FailedListed = 50;

    public async Task<JobsReport> ReportAsync(AdminCaller admin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        using var acrossAccounts = admin.AcrossAccounts("jobs report");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var waiting = db.GenerationJobs.Where(j => j.Status == JobStatus.Pending || j.Status == JobStatus.Retrying);
        var byPriority = await waiting.GroupBy(j => j.Priority).Select(g => new { g.Key, Count = g.Count() }).OrderByDescending(g => g.Key).ToListAsync(cancellationToken);
        var oldest = await waiting.MinAsync(j => (DateTimeOffset?)j.CreatedAt, cancellationToken);
        var running = await db.GenerationJobs.Where(j => j.Status == JobStatus.Processing)
            .GroupBy(j => j.LeaseOwner).Select(g => new { g.Key, Count = g.Count() }).OrderBy(g => g.Key).ToListAsync(cancellationToken);
        var failed = await (
            from job in db.GenerationJobs.Where(j => j.Status == JobStatus.Failed)
            join user in db.Users on job.UserId equals user.Id
            orderby job.FinishedAt descending
            select new FailedJob(job.Id, job.Kind, user.Email ?? "", job.Attempts, job.ErrorCode, job.ErrorMessage, job.FinishedAt))
            .Take(FailedListed).ToListAsync(cancellationToken);
        var aliveAfter = now - options.Value.Lease;
        var workers = await db.WorkerHeartbeats.OrderByDescending(w => w.LastSeenAt).ToListAsync(cancellationToken);
        return new JobsReport(
            byPriority.Select(p => (p.Key, p.Count)).ToList(),
            oldest is { } created ? now - created : null,
            running.Select(r => (r.Key ?? "", r.Count)).ToList(),
            failed,
            workers.Select(w => new WorkerView(w.Name, w.StartedAt, w.LastSeenAt, w.Running, w.LastSeenAt >= aliveAfter)).ToList());
    }

    /// <summary>Puts a failed job back in the queue with fresh attempts; its answer starts again from empty. False when it is not failed.</summary>
    public async Task<bool> RetryAsync(AdminCaller admin, Guid jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        using var acrossAccounts = admin.AcrossAccounts("retry a failed job");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        // Locked: two admins pressing at once put it back once, and nothing running is touched.
        var job = (await db.GenerationJobs.FromSql($"SELECT * FROM generation_jobs WHERE id = {jobId} AND status = 'Failed' FOR UPDATE")
            .ToListAsync(cancellationToken)).FirstOrDefault();
        if (job is null)
        {
            return false;
        }
        var lastError = job.ErrorCode;
        await db.Messages.Where(m => m.Id == job.MessageId).ExecuteUpdateAsync(set => set
            .SetProperty(m => m.Status, MessageStatus.Streaming)
            .SetProperty(m => m.Content, "")
            .SetProperty(m => m.ErrorCode, (string?)null)
            .SetProperty(m => m.ErrorMessage, (string?)null)
            .SetProperty(m => m.UpdatedAt, now), cancellationToken);
        job.Status = JobStatus.Pending;
        job.Attempts = 0;
        job.RunAfter = now;
        job.FinishedAt = null;
        job.CancelRequested = false;
        job.ErrorCode = null;
        job.ErrorMessage = null;
        await db.SaveChangesAsync(cancellationToken); // the queue's trigger wakes the workers when this commits
        await transaction.CommitAsync(cancellationToken);
        await audit.RecordAsync("job.retry", admin.UserId, "", jobId, $"Ran failed {job.Kind} job again (last error: {lastError ?? "none"})");
        return true;
    }

    /// <summary>Takes a failed job off the failed list for good: it is cancelled, and its answer stays as it failed.</summary>
    public async Task<bool> DiscardAsync(AdminCaller admin, Guid jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        using var acrossAccounts = admin.AcrossAccounts("discard a failed job");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var discarded = await db.GenerationJobs.Where(j => j.Id == jobId && j.Status == JobStatus.Failed)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.Status, JobStatus.Cancelled).SetProperty(j => j.UpdatedAt, now), cancellationToken);
        if (discarded == 0)
        {
            return false;
        }
        await audit.RecordAsync("job.discard", admin.UserId, "", jobId, "Discarded a failed job");
        return true;
    }
}
