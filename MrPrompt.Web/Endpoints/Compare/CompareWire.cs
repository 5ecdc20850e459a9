using System.Text.Json.Serialization;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Chat;

namespace MrPrompt.Web.Endpoints.Compare;

/// <summary><c>POST /api/compare</c>'s body (docs/contracts.md, "Compare API").</summary>
public sealed record CompareRequest
{
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("targets")] public List<string>? Targets { get; init; }
    [JsonPropertyName("system")] public string? System { get; init; }
    [JsonPropertyName("temperature")] public float? Temperature { get; init; }

    public string? Problem() =>
        Message is null ? "message is required."
        : Targets is null ? "targets is required: 2 to 4 models as provider/model."
        : Temperature is < 0 or > 2 ? "temperature must be from 0 to 2."
        : null;
}

public sealed record CompareAccepted([property: JsonPropertyName("compare_id")] Guid CompareId);

/// <summary>A compare with each target's answer so far.</summary>
public sealed record CompareStatus(
    [property: JsonPropertyName("compare_id")] Guid CompareId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("targets")] IReadOnlyList<CompareTarget> Targets,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt)
{
    public static CompareStatus Of(CompareRunView view)
    {
        var targets = view.Columns.Select(CompareTarget.Of).ToList();
        return new CompareStatus(view.Run.Id, Overall(view.Columns.Select(c => c.Job ?? JobStatus.Pending).ToList()), targets, view.Run.CreatedAt, view.Run.ExpiresAt);
    }

    /// <summary>pending until a target starts; processing while any runs; completed once all have ended (failed when all failed).</summary>
    private static string Overall(IReadOnlyList<JobStatus> targets) =>
        targets.All(t => t == JobStatus.Failed) ? "failed"
        : targets.All(t => t is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled) ? "completed"
        : targets.All(t => t == JobStatus.Pending) ? "pending"
        : "processing";
}

public sealed record CompareTarget(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("usage")] CompareUsage? Usage,
    [property: JsonPropertyName("latency_ms")] int? LatencyMs,
    [property: JsonPropertyName("cost")] decimal? Cost,
    [property: JsonPropertyName("error")] string? Error)
{
    public static CompareTarget Of(CompareColumn column)
    {
        var answer = column.Answer;
        var usage = answer is { InputTokens: { } input, OutputTokens: { } output } ? new CompareUsage(input, output, input + output) : null;
        return new CompareTarget(
            column.Session.Model,
            (column.Job ?? JobStatus.Pending).ToString().ToLowerInvariant(),
            answer?.Content ?? "",
            usage,
            answer?.LatencyMs,
            answer?.CostUsd,
            answer?.Status is MessageStatus.Failed or MessageStatus.Incomplete ? answer.ErrorMessage : null);
    }
}

public sealed record CompareUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("total_tokens")] int TotalTokens);
