using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using Npgsql;

namespace MrPrompt.Infrastructure.Jobs;

/// <summary>
/// The durable queue's moves, each one statement or one transaction in Postgres (docs/contracts.md, "Generation jobs"):
/// claim in priority then age order with <c>FOR UPDATE SKIP LOCKED</c>, renew a lease, finish a job together with
/// its answer, put it back for a later attempt, cancel, and take back the jobs of instances that are gone. Every
/// move that ends a run names the lease owner, so an instance that lost its lease can never finish a job twice.
/// </summary>
public sealed partial class JobQueue(
    IDbContextFactory<AppDbContext> contexts,
    IOptions<JobOptions> options,
    TimeProvider clock,
    ILogger<JobQueue> logger)
{
    /// <summary>New waiting work (sent by a trigger whenever a job becomes <c>Pending</c>).</summary>
    public const string WorkChannel = "mrprompt_jobs";

    /// <summary>A running job was asked to stop; the payload is its id.</summary>
    public const string CancelChannel = "mrprompt_job_cancel";

    internal const string InterruptedCode = "interrupted";
    internal const int MaxErrorCodeLength = 64;
    internal const int MaxErrorMessageLength = 1000;
    internal const string InterruptedMessage = "The server writing this answer stopped before it was finished.";

    private static readonly JobStatus[] OpenStatuses = [JobStatus.Pending, JobStatus.Processing, JobStatus.Retrying];

    /// <summary>How long the console keeps showing an instance that stopped sending heartbeats.</summary>
    private static readonly TimeSpan ForgetSilentWorkersAfter = TimeSpan.FromDays(1);

    private JobOptions Options => options.Value;

    /// <summary>A job claimed at once by the instance asking for it (a chat in its own browser): no wake-up, no wait.</summary>
    public GenerationJob ClaimedOnArrival(GenerationJob job, string owner)
    {
        var now = clock.GetUtcNow();
        job.Status = JobStatus.Processing;
        job.LeaseOwner = owner;
        job.LeaseExpiresAt = now + Options.Lease;
        job.Attempts = 1;
        job.StartedAt = now;
        job.RunAfter = now;
        return job;
    }

    /// <summary>
    /// Checks the owner's limits for a new job inside <paramref name="db"/>'s open transaction and holds them until it
    /// commits: one account's enqueues take turns (an advisory lock on the account), so two at once cannot both pass.
    /// Null when the job may be added, else the limit it would break.
    /// </summary>
    public async Task<JobLimit?> CheckLimitsAsync(AppDbContext db, Guid userId, Guid sessionId, bool newQuestion, CancellationToken cancellationToken)
    {
        // The lock and the count in one round trip (a batch runs its statements in order): a send in the browser waits on it.
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var batch = new NpgsqlBatch(connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Limits are checked inside the transaction that adds the job."))
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 17))") { Parameters = { new() { Value = userId.ToString() } } },
                new NpgsqlBatchCommand("""
                    SELECT session_id = $2, coalesce(compare_run_id, id) FROM generation_jobs
                    WHERE user_id = $1 AND status IN ('Pending', 'Processing', 'Retrying') AND kind <> 'IngestDocument'
                    """) { Parameters = { new() { Value = userId }, new() { Value = sessionId } } },
            },
        };
        var busy = false;
        var actions = new HashSet<Guid>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                busy |= reader.GetBoolean(0);
                actions.Add(reader.GetGuid(1));
            }
        }
        if (busy)
        {
            return JobLimit.SessionBusy;
        }
        if (actions.Count >= Options.MaxOpenPerUser)
        {
            return JobLimit.OpenPerUser;
        }
        if (newQuestion && Options.MaxQuestionsPerSession > 0)
        {
            var asked = await db.Messages.CountAsync(m => m.SessionId == sessionId && m.Sender == MessageSender.User, cancellationToken);
            if (asked >= Options.MaxQuestionsPerSession)
            {
                return JobLimit.QuestionsPerSession;
            }
        }
        return null;
    }

    /// <summary>Up to <paramref name="count"/> waiting jobs whose time has come, highest priority then oldest first, now leased to <paramref name="owner"/>.</summary>
    /// <param name="ingestions">Claim ingestion jobs only (they wait for an ingestion place of their own), or none of them.</param>
    public async Task<IReadOnlyList<GenerationJob>> ClaimAsync(string owner, int count, CancellationToken cancellationToken, bool ingestions = false)
    {
        using var system = DataScope.AsSystem("claiming queued jobs");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var until = now + Options.Lease;
        return await db.GenerationJobs.FromSql($"""
            UPDATE generation_jobs j
            SET status = 'Processing', lease_owner = {owner}, lease_expires_at = {until}, attempts = j.attempts + 1,
                started_at = coalesce(j.started_at, {now}), updated_at = {now}
            FROM (SELECT id FROM generation_jobs
                  WHERE status IN ('Pending', 'Retrying') AND run_after <= {now} AND NOT cancel_requested
                    AND (kind = 'IngestDocument') = {ingestions}
                  ORDER BY priority DESC, id
                  LIMIT {count}
                  FOR UPDATE SKIP LOCKED) claimed
            WHERE j.id = claimed.id
            RETURNING j.*
            """).AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Extends the leases <paramref name="owner"/> holds on <paramref name="jobIds"/>. Returns what became of each: still
    /// held, asked to stop, or lost (another instance took it back), so the runner can stop what it no longer owns.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, LeaseState>> RenewAsync(string owner, IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        if (jobIds.Count == 0)
        {
            return new Dictionary<Guid, LeaseState>();
        }
        using var system = DataScope.AsSystem("renewing job leases");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var ids = jobIds.ToArray();
        var renewed = await db.GenerationJobs.FromSql($"""
            UPDATE generation_jobs SET lease_expires_at = {now + Options.Lease}, updated_at = {now}
            WHERE id = ANY({ids}) AND lease_owner = {owner} AND status = 'Processing'
            RETURNING *
            """).AsNoTracking().ToListAsync(cancellationToken);
        var states = ids.ToDictionary(id => id, _ => LeaseState.Lost);
        foreach (var lease in renewed)
        {
            states[lease.Id] = lease.CancelRequested ? LeaseState.CancelRequested : LeaseState.Held;
        }
        return states;
    }

    /// <summary>
    /// Ends a run: the job's final state and its answer commit together, and only while <paramref name="owner"/> still
    /// holds the lease. False when it does not (the job was taken back meanwhile): nothing is written, so an answer is
    /// saved once, by whoever owns the job.
    /// </summary>
    public async Task<bool> FinishAsync(string owner, Guid jobId, JobStatus status, (string Code, string Message)? error,
        Func<AppDbContext, Task> saveAnswer, CancellationToken cancellationToken = default)
    {
        using var system = DataScope.AsSystem("finishing a job");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var ended = await db.GenerationJobs
            .Where(j => j.Id == jobId && j.LeaseOwner == owner && j.Status == JobStatus.Processing)
            .ExecuteUpdateAsync(set => set
                .SetProperty(j => j.Status, status)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null)
                .SetProperty(j => j.ErrorCode, Fit(error == null ? null : error.Value.Code, MaxErrorCodeLength))
                .SetProperty(j => j.ErrorMessage, Fit(error == null ? null : error.Value.Message, MaxErrorMessageLength))
                .SetProperty(j => j.FinishedAt, now)
                .SetProperty(j => j.UpdatedAt, now), cancellationToken);
        if (ended == 0)
        {
            LogLeaseLost(logger, jobId);
            return false;
        }
        await saveAnswer(db);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// An attempt (not the job's last) failed before its first token: the job waits out its back-off, then runs again.
    /// Its answer stays <c>streaming</c>, empty.
    /// </summary>
    public async Task RetryLaterAsync(string owner, GenerationJob job, (string Code, string Message) error, CancellationToken cancellationToken = default)
    {
        using var system = DataScope.AsSystem("retrying a job");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var runAfter = now + JobRules.Backoff(job.Attempts, Options.BackoffBase, Options.BackoffMax, Random.Shared.NextDouble());
        await db.GenerationJobs
            .Where(j => j.Id == job.Id && j.LeaseOwner == owner && j.Status == JobStatus.Processing)
            .ExecuteUpdateAsync(set => set
                .SetProperty(j => j.Status, JobStatus.Retrying)
                .SetProperty(j => j.RunAfter, runAfter)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null)
                .SetProperty(j => j.ErrorCode, Fit(error.Code, MaxErrorCodeLength))
                .SetProperty(j => j.ErrorMessage, Fit(error.Message, MaxErrorMessageLength))
                .SetProperty(j => j.UpdatedAt, now), cancellationToken);
    }

    /// <summary>
    /// A job this instance will not run after all (it is shutting down): back to the queue, the attempt not counted, its
    /// answer's text so far dropped so the next run writes it from the start; or, when its owner asked it to stop meanwhile,
    /// cancelled with the text it has.
    /// </summary>
    public async Task GiveBackAsync(string owner, Guid jobId, CancellationToken cancellationToken = default)
    {
        using var system = DataScope.AsSystem("giving a job back");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var given = await db.GenerationJobs
            .Where(j => j.Id == jobId && j.LeaseOwner == owner && j.Status == JobStatus.Processing)
            .ExecuteUpdateAsync(set => set
                .SetProperty(j => j.Status, j => j.CancelRequested ? JobStatus.Cancelled : JobStatus.Pending)
                .SetProperty(j => j.Attempts, j => j.Attempts - 1)
                .SetProperty(j => j.FinishedAt, j => j.CancelRequested ? now : null)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null)
                .SetProperty(j => j.UpdatedAt, now), cancellationToken);
        if (given > 0)
        {
            await db.Messages
                .Where(m => m.Status == MessageStatus.Streaming && db.GenerationJobs.Any(j => j.Id == jobId && j.MessageId == m.Id && j.Status == JobStatus.Cancelled))
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.Status, MessageStatus.Cancelled).SetProperty(m => m.UpdatedAt, now), cancellationToken);
            await db.Messages
                .Where(m => m.Status == MessageStatus.Streaming && m.Content != "" && db.GenerationJobs.Any(j => j.Id == jobId && j.MessageId == m.Id && j.Status == JobStatus.Pending))
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.Content, "").SetProperty(m => m.UpdatedAt, now), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary><paramref name="text"/> cut to what its column holds (a provider's error may list many models).</summary>
    internal static string? Fit(string? text, int length) => text is { Length: var n } && n > length ? text[..length] : text;

    /// <summary>
    /// Asks <paramref name="userId"/>'s job to stop. A waiting job is cancelled here and now (with its empty answer);
    /// a running one is flagged and its instance told, wherever it runs. Null when there is no open job of theirs.
    /// </summary>
    public async Task<JobStatus?> CancelAsync(Guid userId, Guid jobId, CancellationToken cancellationToken = default)
    {
        using var scope = DataScope.ForUser(userId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var job = (await db.GenerationJobs.FromSql($"SELECT * FROM generation_jobs WHERE id = {jobId} AND user_id = {userId} FOR UPDATE")
            .ToListAsync(cancellationToken)).FirstOrDefault();
        if (job is null || !job.IsOpen)
        {
            return null;
        }
        if (job.Status == JobStatus.Processing)
        {
            job.CancelRequested = true;
            await db.SaveChangesAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({CancelChannel}, {jobId.ToString()})", cancellationToken);
        }
        else
        {
            job.Status = JobStatus.Cancelled;
            job.CancelRequested = true;
            job.FinishedAt = now;
            await db.SaveChangesAsync(cancellationToken);
            await db.Messages.Where(m => m.Id == job.MessageId && m.Status == MessageStatus.Streaming)
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.Status, MessageStatus.Cancelled).SetProperty(m => m.UpdatedAt, now), cancellationToken);
            await db.Messages
                .Where(m => m.Status == MessageStatus.Streaming && m.Content != "" && db.GenerationJobs.Any(j => j.Id == jobId && j.MessageId == m.Id && j.Status == JobStatus.Pending))
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.Content, "").SetProperty(m => m.UpdatedAt, now), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return job.Status;
    }

    /// <summary>The open job writing <paramref name="messageId"/>, when <paramref name="userId"/> has one.</summary>
    public async Task<Guid?> OpenJobOfMessageAsync(Guid userId, Guid messageId, CancellationToken cancellationToken = default)
    {
        using var scope = DataScope.ForUser(userId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.GenerationJobs
            .Where(j => j.MessageId == messageId && j.UserId == userId && OpenStatuses.Contains(j.Status))
            .Select(j => (Guid?)j.Id)
            .FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// Takes back the jobs of instances that are gone: leases run out longer than the grace ago. A job that had streamed
    /// text keeps it as an incomplete answer (it cannot be resumed mid-answer); one that had not runs again, unless it
    /// has used all its attempts or was asked to stop. Returns how many jobs it took back.
    /// </summary>
    public async Task<int> RescueAbandonedAsync(CancellationToken cancellationToken = default)
    {
        using var system = DataScope.AsSystem("taking back abandoned jobs");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var cutoff = JobRules.AbandonedBefore(now, Options.LeaseGrace);
        var abandoned = await db.GenerationJobs.FromSql($"""
            SELECT * FROM generation_jobs
            WHERE status = 'Processing' AND lease_expires_at < {cutoff}
            ORDER BY lease_expires_at
            LIMIT 500
            FOR UPDATE SKIP LOCKED
            """).AsNoTracking().ToListAsync(cancellationToken);
        var messageIds = abandoned.Select(j => j.MessageId).ToList();
        var withText = (await db.Messages.Where(m => messageIds.Contains(m.Id) && m.Content != "").Select(m => m.Id).ToListAsync(cancellationToken)).ToHashSet();
        foreach (var job in abandoned)
        {
            var (jobStatus, messageStatus) = job switch
            {
                { CancelRequested: true } => (JobStatus.Cancelled, MessageStatus.Cancelled),
                _ when job.MessageId is { } answerId && withText.Contains(answerId) => (JobStatus.Failed, MessageStatus.Incomplete),
                _ when job.Attempts < job.MaxAttempts => (JobStatus.Pending, MessageStatus.Streaming),
                _ => (JobStatus.Failed, MessageStatus.Failed),
            };
            var failed = jobStatus == JobStatus.Failed;
            await db.GenerationJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(set => set
                .SetProperty(j => j.Status, jobStatus)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null)
                .SetProperty(j => j.RunAfter, now)
                .SetProperty(j => j.ErrorCode, failed ? InterruptedCode : null)
                .SetProperty(j => j.ErrorMessage, failed ? InterruptedMessage : null)
                .SetProperty(j => j.FinishedAt, jobStatus == JobStatus.Pending ? null : now)
                .SetProperty(j => j.UpdatedAt, now), cancellationToken);
            if (job.DocumentId is { } documentId && jobStatus != JobStatus.Pending)
            {
                // An ingestion that will not run again: its document says so (and may be ingested again), never "embedding" for good.
                await db.KnowledgeDocuments.Where(d => d.Id == documentId && d.JobId == job.Id).ExecuteUpdateAsync(set => set
                    .SetProperty(d => d.Status, DocumentStatus.Failed)
                    .SetProperty(d => d.Error, failed ? "The server ingesting it went away; ingest it again." : "Stopped before it was ready.")
                    .SetProperty(d => d.UpdatedAt, now), cancellationToken);
            }
            if (messageStatus != MessageStatus.Streaming && job.MessageId is not null)
            {
                await db.Messages.Where(m => m.Id == job.MessageId && m.Status == MessageStatus.Streaming).ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.Status, messageStatus)
                    .SetProperty(m => m.ErrorCode, failed ? InterruptedCode : null)
                    .SetProperty(m => m.ErrorMessage, failed ? InterruptedMessage : null)
                    .SetProperty(m => m.UpdatedAt, now), cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        if (abandoned.Count > 0)
        {
            LogRescued(logger, abandoned.Count);
        }
        return abandoned.Count;
    }

    /// <summary>
    /// Answers left <c>streaming</c> with no open job behind them (written before the queue existed, or their job
    /// deleted) can never finish: marked incomplete with the text they have.
    /// </summary>
    public async Task<int> SettleOrphanedAnswersAsync(CancellationToken cancellationToken = default)
    {
        using var system = DataScope.AsSystem("answers without a job");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return await db.Messages
            .Where(m => m.Status == MessageStatus.Streaming
                && !db.GenerationJobs.Any(j => j.MessageId == m.Id && OpenStatuses.Contains(j.Status)))
            .ExecuteUpdateAsync(set => set
                .SetProperty(m => m.Status, MessageStatus.Incomplete)
                .SetProperty(m => m.ErrorCode, InterruptedCode)
                .SetProperty(m => m.ErrorMessage, InterruptedMessage)
                .SetProperty(m => m.UpdatedAt, now), cancellationToken);
    }

    /// <summary>This instance is alive, running <paramref name="running"/> jobs: its row in <c>job_workers</c>, for the admin console.</summary>
    public async Task HeartbeatAsync(string owner, DateTimeOffset startedAt, int running, CancellationToken cancellationToken = default)
    {
        using var system = DataScope.AsSystem("worker heartbeat");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO job_workers (name, started_at, last_seen_at, running) VALUES ({owner}, {startedAt}, {now}, {running})
            ON CONFLICT (name) DO UPDATE SET last_seen_at = excluded.last_seen_at, running = excluded.running;
            DELETE FROM job_workers WHERE last_seen_at < {now - ForgetSilentWorkersAfter};
            """, cancellationToken);
    }

    /// <summary>When the earliest job waiting out a back-off becomes claimable; null when none waits.</summary>
    public async Task<DateTimeOffset?> NextRetryAsync(CancellationToken cancellationToken = default)
    {
        using var system = DataScope.AsSystem("next retry");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.GenerationJobs.Where(j => j.Status == JobStatus.Retrying).MinAsync(j => (DateTimeOffset?)j.RunAfter, cancellationToken);
    }

    /// <summary>Jobs waiting to be claimed now or after their back-off.</summary>
    public async Task<long> WaitingCountAsync(CancellationToken cancellationToken = default)
    {
        using var system = DataScope.AsSystem("queue depth");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.GenerationJobs.LongCountAsync(j => j.Status == JobStatus.Pending || j.Status == JobStatus.Retrying, cancellationToken);
    }

    /// <summary>Deletes compare runs past their expiry with their columns, answers and jobs. Returns how many.</summary>
    public async Task<int> DeleteExpiredComparesAsync(CancellationToken cancellationToken = default)
    {
        using var system = DataScope.AsSystem("expired compare results");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return await db.CompareRuns.Where(r => r.ExpiresAt != null && r.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was taken back by another instance before this one finished it; its result is dropped")]
    private static partial void LogLeaseLost(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Took back {Count} jobs whose instance stopped renewing their lease")]
    private static partial void LogRescued(ILogger logger, int count);

}

/// <summary>What a renewal found of a lease.</summary>
public enum LeaseState
{
    Held,
    CancelRequested,

    /// <summary>Another instance took the job back: stop, and do not save.</summary>
    Lost,
}

/// <summary>A limit a new job would break.</summary>
public enum JobLimit
{
    /// <summary>An answer is already being written in that chat.</summary>
    SessionBusy,
    OpenPerUser,
    QuestionsPerSession,
}
