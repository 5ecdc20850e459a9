using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Jobs;

/// <summary>
/// One long-running model call in the durable queue (<c>generation_jobs</c>; docs/contracts.md, "Generation jobs"): the
/// answer it writes into <see cref="MessageId"/>, who asked, when it may run and which instance holds it. A job's
/// assistant message exists from the moment the job does, so a re-run after a crash writes into the same row and
/// can never add a second answer.
/// </summary>
public sealed class GenerationJob : IAuditable
{
    public Guid Id { get; set; }
    public JobKind Kind { get; set; }
    public Guid UserId { get; set; }

    /// <summary>Higher runs first; equal priorities run oldest first.</summary>
    public int Priority { get; set; }

    public JobStatus Status { get; set; } = JobStatus.Pending;

    /// <summary>Runs started so far, the current one included.</summary>
    public int Attempts { get; set; }

    public int MaxAttempts { get; set; } = 1;

    /// <summary>The instance running it and until when its lease holds; renewed while the answer streams.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>Not claimed before this moment: the back-off after a failed attempt.</summary>
    public DateTimeOffset RunAfter { get; set; }

    /// <summary>The planned model call as JSON: the conversation it sends and its settings.</summary>
    public string Payload { get; set; } = "{}";

    /// <summary>The chat and the answer a chat or compare job writes; null for an ingestion.</summary>
    public Guid? SessionId { get; set; }

    public Guid? MessageId { get; set; }
    public Guid? CompareRunId { get; set; }

    /// <summary>The knowledge document an ingestion job reads, chunks and embeds.</summary>
    public Guid? DocumentId { get; set; }

    /// <summary>Set when someone asks to stop it while an instance runs it; that instance stops at its next look.</summary>
    public bool CancelRequested { get; set; }

    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }
    public string? TraceId { get; set; }

    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsOpen => Status is JobStatus.Pending or JobStatus.Processing or JobStatus.Retrying;
}

public enum JobKind
{
    /// <summary>The next answer of a chat, asked in the browser or through <c>/api/chat/jobs</c>.</summary>
    ChatAnswer,

    /// <summary>One column of a compare run.</summary>
    CompareColumn,

    /// <summary>A knowledge document: extract, chunk, embed, store.</summary>
    IngestDocument,
}

public enum JobStatus
{
    Pending,
    Processing,

    /// <summary>An attempt failed before its first token; the job waits out its back-off and runs again.</summary>
    Retrying,
    Completed,

    /// <summary>Ended without an answer (after its last attempt, or interrupted); an admin may run it again.</summary>
    Failed,
    Cancelled,
}

/// <summary>
/// An instance's sign of life (<c>job_workers</c>), written each time it renews its leases: the admin console shows which
/// instances run jobs, and one that stopped writing is gone.
/// </summary>
public sealed class WorkerHeartbeat
{
    /// <summary>The name on the instance's leases (host/process/random).</summary>
    public string Name { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }

    /// <summary>Jobs it was running at its last heartbeat.</summary>
    public int Running { get; set; }
}
