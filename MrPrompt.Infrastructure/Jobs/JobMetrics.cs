using System.Diagnostics.Metrics;
using MrPrompt.Domain.Jobs;

namespace MrPrompt.Infrastructure.Jobs;

/// <summary>The queue on the OpenTelemetry meter <see cref="MeterName"/>: depth, claim latency and job duration.</summary>
public sealed class JobMetrics
{
    public const string MeterName = "MrPrompt.Jobs";

    private readonly Histogram<double> _claimLatency;
    private readonly Histogram<double> _duration;
    private long _waiting;

    public JobMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _claimLatency = meter.CreateHistogram<double>("mrprompt.jobs.claim_latency", "ms", "From a job becoming claimable (queued, or its back-off over) to an instance claiming it");
        _duration = meter.CreateHistogram<double>("mrprompt.jobs.duration", "ms", "One run of a job, from its claim to its end");
        meter.CreateObservableGauge("mrprompt.jobs.queue_depth", () => Interlocked.Read(ref _waiting), description: "Jobs waiting to be claimed, as last counted by this instance's sweep");
    }

    public void Claimed(GenerationJob job, DateTimeOffset at) =>
        _claimLatency.Record(Math.Max(0, (at - (job.RunAfter > job.CreatedAt ? job.RunAfter : job.CreatedAt)).TotalMilliseconds),
            new KeyValuePair<string, object?>("kind", job.Kind.ToString()));

    public void Ran(GenerationJob job, TimeSpan took, JobStatus ending) =>
        _duration.Record(took.TotalMilliseconds, new KeyValuePair<string, object?>("kind", job.Kind.ToString()), new KeyValuePair<string, object?>("status", ending.ToString()));

    public void Waiting(long count) => Interlocked.Exchange(ref _waiting, count);
}
