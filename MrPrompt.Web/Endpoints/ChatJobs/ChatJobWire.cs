using System.Text.Json;
using System.Text.Json.Serialization;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Jobs;

namespace MrPrompt.Web.Endpoints.ChatJobs;

/// <summary><c>POST /api/chat/jobs</c>'s body (docs/contracts.md, "Chat jobs API").</summary>
public sealed record ChatJobRequest
{
    public const int MinPriority = -10;
    public const int MaxPriority = 10;

    [JsonPropertyName("session_id")] public Guid? SessionId { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("prompt_key")] public string? PromptKey { get; init; }
    [JsonPropertyName("variables")] public Dictionary<string, JsonElement>? Variables { get; init; }
    [JsonPropertyName("priority")] public int? Priority { get; init; }

    /// <summary>Why the body cannot be queued, or null.</summary>
    public string? Problem() =>
        Message is null ? "message is required."
        : Priority is < MinPriority or > MaxPriority ? $"priority must be from {MinPriority} to {MaxPriority}."
        : Variables is not null && string.IsNullOrWhiteSpace(PromptKey) ? "variables need a prompt_key to fill."
        : null;

    public IReadOnlyDictionary<string, object?> VariableValues =>
        Variables?.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal) ?? [];
}

/// <summary>202 to a queued question.</summary>
public sealed record ChatJobAccepted(
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("session_id")] Guid SessionId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("queue_position")] int QueuePosition,
    [property: JsonPropertyName("estimated_duration_ms")] long EstimatedDurationMs);

/// <summary>A job, as <c>GET /api/chat/jobs/{id}</c> and the list show it.</summary>
public sealed record ChatJobStatus(
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("session_id")] Guid SessionId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("progress")] int Progress,
    [property: JsonPropertyName("result")] ChatJobResult? Result,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("error_code")] string? ErrorCode,
    [property: JsonPropertyName("retry_count")] int RetryCount,
    [property: JsonPropertyName("processing_time_ms")] long? ProcessingTimeMs,
    [property: JsonPropertyName("queue_position")] int? QueuePosition,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt)
{
    public static ChatJobStatus Of(JobView view) => new(
        view.JobId, view.SessionId, WireName(view.Status), view.Progress,
        view.Result is { } answer ? new ChatJobResult(answer.MessageId, answer.Content, answer.CreatedAt) : null,
        view.Error, view.ErrorCode, view.RetryCount, view.ProcessingTimeMs, view.QueuePosition, view.CreatedAt, view.UpdatedAt);

    /// <summary>Statuses travel in lower case: pending, processing, retrying, completed, failed, cancelled.</summary>
    public static string WireName(JobStatus status) => status.ToString().ToLowerInvariant();
}

public sealed record ChatJobResult(
    [property: JsonPropertyName("message_id")] Guid MessageId,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt);

public sealed record ChatJobList(
    [property: JsonPropertyName("jobs")] IReadOnlyList<ChatJobStatus> Jobs,
    [property: JsonPropertyName("session_stats")] ChatJobStats SessionStats);

public sealed record ChatJobStats(
    [property: JsonPropertyName("total_jobs")] int TotalJobs,
    [property: JsonPropertyName("completed_jobs")] int CompletedJobs,
    [property: JsonPropertyName("failed_jobs")] int FailedJobs,
    [property: JsonPropertyName("average_processing_time_ms")] long AverageProcessingTimeMs)
{
    public static ChatJobStats Of(JobStats stats) => new(stats.TotalJobs, stats.CompletedJobs, stats.FailedJobs, stats.AverageProcessingTimeMs);
}

/// <summary>The frames of <c>GET /api/chat/jobs/{id}/events</c>.</summary>
public static class ChatJobFrames
{
    public sealed record Ready([property: JsonPropertyName("job_id")] Guid JobId, [property: JsonPropertyName("status")] string Status);

    public sealed record Delta([property: JsonPropertyName("text")] string Text);

    public sealed record Error([property: JsonPropertyName("code")] string Code, [property: JsonPropertyName("message")] string Message);
}
