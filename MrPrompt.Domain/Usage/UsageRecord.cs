namespace MrPrompt.Domain.Usage;

/// <summary>
/// One attempt at a model call (a <c>prompt_usage_logs</c> row; docs/contracts.md, "Tables"): who, which model,
/// how long, how many tokens and what it cost. A call that retried or fell back has one row per attempt.
/// </summary>
public sealed class UsageRecord
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public string Provider { get; set; } = "";
    public string Model { get; set; } = "";
    public Guid? PromptVersionId { get; set; }
    public Guid? ChatSessionId { get; set; }
    public Guid? ApiKeyId { get; set; }

    /// <summary>The generation job the call answered, when it ran through the queue.</summary>
    public Guid? JobId { get; set; }
    public UsageSource Source { get; set; }
    public UsageStatus Status { get; set; }
    public int Attempt { get; set; } = 1;
    public int InputTokens { get; set; }
    public int OutputTokens { get; set; }

    /// <summary>The provider reported no usage, so the tokens were counted with a tokenizer.</summary>
    public bool TokensEstimated { get; set; }

    public int? TimeToFirstTokenMs { get; set; }
    public int LatencyMs { get; set; }
    public decimal? CostUsd { get; set; }
    public string? ErrorCode { get; set; }
    public string? TraceId { get; set; }
    public DateTimeOffset ExecutedAt { get; set; }
}

public enum UsageSource
{
    Ui,
    Api,
    Background,

    /// <summary>A job asked for through <c>/api/chat/jobs</c> or <c>/api/compare</c>, or a knowledge document's ingestion.</summary>
    Job,
}

public enum UsageStatus
{
    Success,
    Error,
    Cancelled,

    /// <summary>Answered from the response cache: no provider call, no cost.</summary>
    CacheHit,
}
