using Microsoft.Extensions.AI;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// Who makes a call and why, carried down the pipeline in <see cref="ChatOptions.AdditionalProperties"/>
/// for the layers that log and limit it. It is read-only: what a layer learns travels back up on the
/// response (<see cref="AttemptOutcome"/>), on the failure (<see cref="FailedAttempt"/>), or, for what an
/// attempt spent, in <see cref="Spend"/>, the one thing written during the call, because an attempt the
/// caller walked away from still used tokens and has no response to carry them.
/// </summary>
public sealed class GatewayCall
{
    private const string Key = "mrprompt.call";
    private const string AttemptKey = "mrprompt.attempt";

    public required Guid UserId { get; init; }
    public required UsageSource Source { get; init; }
    public Guid? ChatSessionId { get; init; }
    public Guid? PromptVersionId { get; init; }
    public Guid? ApiKeyId { get; init; }
    public Guid? JobId { get; init; }
    public required string TraceId { get; init; }

    /// <summary>The caller's own cancellation: layers below a timeout tell "stopped" from "too slow" by it.</summary>
    public CancellationToken CallerCancellation { get; init; }

    /// <summary>Tokens and cost of every attempt of this call, for the caller's limits and budget.</summary>
    public CallSpend Spend { get; } = new();

    /// <summary>The call <paramref name="request"/> makes; <paramref name="callerCancellation"/> is the caller's own stop.</summary>
    public static GatewayCall For(GatewayRequest request, CancellationToken callerCancellation) => new()
    {
        CallerCancellation = callerCancellation,
        UserId = request.UserId,
        Source = request.Source,
        ChatSessionId = request.ChatSessionId,
        PromptVersionId = request.PromptVersionId,
        ApiKeyId = request.ApiKeyId,
        JobId = request.JobId,
        TraceId = request.TraceId ?? System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N"),
    };

    /// <summary>
    /// The usage row of one attempt of this call, the only place such a row is made: attempts that reached
    /// a provider (numbered from 1), and calls answered or refused without one (attempt 0, free).
    /// </summary>
    public UsageRecord UsageRow(ModelRef model, UsageStatus status, int attempt, AttemptMeasures measures, string? errorCode, DateTimeOffset at) => new()
    {
        Id = Guid.CreateVersion7(at),
        UserId = UserId,
        Provider = model.Provider,
        Model = model.Model,
        PromptVersionId = PromptVersionId,
        ChatSessionId = ChatSessionId,
        ApiKeyId = ApiKeyId,
        JobId = JobId,
        Source = Source,
        Status = status,
        Attempt = attempt,
        InputTokens = measures.InputTokens,
        OutputTokens = measures.OutputTokens,
        TokensEstimated = measures.TokensEstimated,
        TimeToFirstTokenMs = measures.TimeToFirstToken is { } first ? (int)first.TotalMilliseconds : null,
        LatencyMs = (int)measures.Latency.TotalMilliseconds,
        CostUsd = measures.CostUsd,
        ErrorCode = errorCode,
        TraceId = TraceId,
        ExecutedAt = at,
    };

    public static GatewayCall? From(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Key, out var value) == true ? value as GatewayCall : null;

    public void AttachTo(ChatOptions options) => (options.AdditionalProperties ??= [])[Key] = this;

    public static GatewayCall? From(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Key, out var value) == true ? value as GatewayCall : null;

    public void AttachTo(EmbeddingGenerationOptions options) => (options.AdditionalProperties ??= [])[Key] = this;

    public static int AttemptOf(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(AttemptKey, out var value) == true && value is int attempt ? attempt : 1;

    /// <summary>A copy of <paramref name="options"/> marked as attempt <paramref name="attempt"/>.</summary>
    public static EmbeddingGenerationOptions ForAttempt(EmbeddingGenerationOptions? options, int attempt)
    {
        var copy = options?.Clone() ?? new EmbeddingGenerationOptions();
        copy.AdditionalProperties = copy.AdditionalProperties is null ? [] : new AdditionalPropertiesDictionary(copy.AdditionalProperties);
        copy.AdditionalProperties[AttemptKey] = attempt;
        return copy;
    }

    public static int AttemptOf(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(AttemptKey, out var value) == true && value is int attempt ? attempt : 1;

    /// <summary>A copy of <paramref name="options"/> marked as attempt <paramref name="attempt"/>; the caller's options stay untouched.</summary>
    public static ChatOptions ForAttempt(ChatOptions? options, int attempt)
    {
        var copy = options?.Clone() ?? new ChatOptions();
        copy.AdditionalProperties = copy.AdditionalProperties is null ? [] : new AdditionalPropertiesDictionary(copy.AdditionalProperties);
        copy.AdditionalProperties[AttemptKey] = attempt;
        return copy;
    }
}

/// <summary>
/// What a call's attempts used so far: tokens, cost, and how many of the tokens were of a model with no
/// known price (a budget counts those at a fallback price, not $0). Safe to add to from any attempt.
/// </summary>
public sealed class CallSpend
{
    private readonly Lock _gate = new();
    private long _tokens;
    private decimal _cost;
    private long _unpricedTokens;

    public (long Tokens, decimal Cost, long UnpricedTokens) Total
    {
        get
        {
            lock (_gate)
            {
                return (_tokens, _cost, _unpricedTokens);
            }
        }
    }

    public void Add(long tokens, decimal? cost)
    {
        lock (_gate)
        {
            _tokens += tokens;
            _cost += cost ?? 0;
            _unpricedTokens += cost is null ? tokens : 0;
        }
    }
}

/// <summary>What one attempt used and how long it took.</summary>
public readonly record struct AttemptMeasures(int InputTokens, int OutputTokens, bool TokensEstimated, decimal? CostUsd, TimeSpan? TimeToFirstToken, TimeSpan Latency)
{
    /// <summary>An answer no provider was asked for (refused, or served from the cache): no tokens, and free rather than of unknown price.</summary>
    public static AttemptMeasures None => new(0, 0, false, 0m, null, TimeSpan.Zero);
}

/// <summary>
/// What the attempt that answered cost and how fast it was, returned by the usage layer on the answer:
/// in the response's properties, or in a last update of its own when streamed.
/// </summary>
public sealed record AttemptOutcome(
    string Provider,
    string Model,
    int InputTokens,
    int OutputTokens,
    bool TokensEstimated,
    decimal? CostUsd,
    TimeSpan? TimeToFirstToken)
{
    private const string Key = "mrprompt.outcome";

    public ChatResponse AttachTo(ChatResponse response)
    {
        (response.AdditionalProperties ??= [])[Key] = this;
        return response;
    }

    /// <summary>An update that carries only this outcome, to end a stream with.</summary>
    public ChatResponseUpdate AsUpdate() => new() { AdditionalProperties = new() { [Key] = this } };

    public static AttemptOutcome? From(ChatResponse response) =>
        response.AdditionalProperties?.TryGetValue(Key, out var value) == true ? value as AttemptOutcome : null;

    public static AttemptOutcome? From(ChatResponseUpdate update) =>
        update.AdditionalProperties?.TryGetValue(Key, out var value) == true ? value as AttemptOutcome : null;
}

/// <summary>
/// Which model an attempt that failed was asking, noted by the usage layer on the failure itself, so
/// the error the caller reads names the right model after retries and fallbacks.
/// </summary>
public static class FailedAttempt
{
    private const string Key = "mrprompt.failed_model";

    public static void Note(Exception failure, ModelRef model) => failure.Data[Key] = model.ToString();

    /// <summary>The model noted on <paramref name="failure"/> or on an exception it wraps.</summary>
    public static ModelRef? ModelOf(Exception failure)
    {
        for (Exception? current = failure; current is not null; current = current.InnerException)
        {
            if (current.Data[Key] is string noted && ModelRef.TryParse(noted, out var model))
            {
                return model;
            }
        }
        return null;
    }
}
