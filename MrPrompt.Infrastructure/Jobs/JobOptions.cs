using System.ComponentModel.DataAnnotations;

namespace MrPrompt.Infrastructure.Jobs;

/// <summary>The <c>Jobs</c> section: the durable generation queue (docs/contracts.md, "Generation jobs").</summary>
public sealed class JobOptions
{
    public const string SectionName = "Jobs";

    /// <summary>Runs of a job whose attempts fail before the first token, the first included; then it is <c>failed</c>.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Jobs one user may have waiting or running at once; a compare run counts as one.</summary>
    [Range(1, 10_000)]
    public int MaxOpenPerUser { get; set; } = 10;

    /// <summary>Questions one chat may be asked, in the browser or through the job API; 0 for no limit.</summary>
    [Range(0, 1_000_000)]
    public int MaxQuestionsPerSession { get; set; }

    /// <summary>Jobs from the queue one instance runs at once (answers asked in its own browsers come on top).</summary>
    [Range(1, 10_000)]
    public int Workers { get; set; } = 32;

    /// <summary>How long a claim holds without renewal; renewed every third of it while the answer streams.</summary>
    [Range(1, 3600)]
    public double LeaseSeconds { get; set; } = 15;

    /// <summary>How long past its expiry a lease is still honoured before the sweeper takes the job back.</summary>
    [Range(0, 3600)]
    public double LeaseGraceSeconds { get; set; } = 5;

    /// <summary>How often an instance looks for work when no notification came (the fallback to LISTEN/NOTIFY) and sweeps leases.</summary>
    [Range(0.05, 3600)]
    public double PollSeconds { get; set; } = 2;

    /// <summary>The first retry's delay; each later one doubles it, up to <see cref="BackoffMaxSeconds"/>, ±10 % jitter.</summary>
    [Range(0, 3600)]
    public double BackoffBaseSeconds { get; set; } = 2;

    [Range(0, 86_400)]
    public double BackoffMaxSeconds { get; set; } = 300;

    /// <summary>How long the results of a compare asked through <c>/api/compare</c> are kept.</summary>
    [Range(0.01, 8760)]
    public double CompareResultHours { get; set; } = 1;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);
    public TimeSpan LeaseGrace => TimeSpan.FromSeconds(LeaseGraceSeconds);
    public TimeSpan Poll => TimeSpan.FromSeconds(PollSeconds);
    public TimeSpan BackoffBase => TimeSpan.FromSeconds(BackoffBaseSeconds);
    public TimeSpan BackoffMax => TimeSpan.FromSeconds(BackoffMaxSeconds);
}
