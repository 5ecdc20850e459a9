using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// What a streamed call yields: <see cref="GatewayStarted"/> once the call is accepted and under way,
/// text deltas, then exactly one <see cref="GatewayCompleted"/> or <see cref="GatewayFailed"/>. A call
/// refused up front yields only its <see cref="GatewayFailed"/>.
/// </summary>
public abstract record GatewayEvent;

/// <summary>The call passed every check and went to a provider: an HTTP stream can now commit to success.</summary>
public sealed record GatewayStarted(string TraceId) : GatewayEvent;

public sealed record GatewayDelta(string Text) : GatewayEvent;

public sealed record GatewayCompleted(GatewayResult Result) : GatewayEvent;

/// <summary>The call ended without a full answer; <paramref name="PartialText"/> is what had arrived.</summary>
public sealed record GatewayFailed(GatewayError Error, string PartialText, string TraceId) : GatewayEvent;

/// <summary>A finished answer with its accounting.</summary>
public sealed record GatewayResult
{
    public required string Text { get; init; }
    public required string Provider { get; init; }
    public required string Model { get; init; }
    public int InputTokens { get; init; }
    public int OutputTokens { get; init; }
    public bool TokensEstimated { get; init; }
    public string? FinishReason { get; init; }
    public decimal? CostUsd { get; init; }
    public TimeSpan Latency { get; init; }
    public TimeSpan? TimeToFirstToken { get; init; }
    public string? ResponseId { get; init; }
    public required string TraceId { get; init; }

    /// <summary>Served from the response cache: no provider was called for it.</summary>
    public bool Cached { get; init; }
}

/// <summary>The outcome of a non-streamed call: a result or an error, never an exception for provider trouble.</summary>
public sealed record GatewayOutcome(GatewayResult? Result, GatewayError? Error)
{
    public bool Succeeded => Result is not null;
}
