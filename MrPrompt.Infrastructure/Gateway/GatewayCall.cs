using Microsoft.Extensions.AI;
using MrPrompt.Domain.Usage;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// Per-call context and outcome, carried through the pipeline in <see cref="ChatOptions.AdditionalProperties"/>:
/// the layers read who is calling and write back which attempt answered with what usage.
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
    public required string TraceId { get; init; }

    /// <summary>The caller's own cancellation: layers below a timeout tell "stopped" from "too slow" by it.</summary>
    public CancellationToken CallerCancellation { get; init; }

    /// <summary>Set by the attempt that answered.</summary>
    public AttemptOutcome? Answer { get; set; }

    /// <summary>The model of the last attempt that failed, so the error names the right one.</summary>
    public Domain.Providers.ModelRef? LastFailed { get; set; }

    /// <summary>The Retry-After the last failed attempt's provider asked for (Anthropic reports it only in headers).</summary>
    public TimeSpan? LastRetryAfter { get; set; }

    private readonly object _spendGate = new();
    private long _tokens;
    private decimal _cost;
    private long _unpricedTokens;

    /// <summary>
    /// Tokens and cost of every attempt so far, for the caller's limits and budget, and how many of the
    /// tokens were of a model with no known price (a budget counts those at a fallback price, not $0).
    /// </summary>
    public (long Tokens, decimal Cost, long UnpricedTokens) Spent
    {
        get
        {
            lock (_spendGate)
            {
                return (_tokens, _cost, _unpricedTokens);
            }
        }
    }

    public void AddSpend(long tokens, decimal? cost)
    {
        lock (_spendGate)
        {
            _tokens += tokens;
            _cost += cost ?? 0;
            _unpricedTokens += cost is null ? tokens : 0;
        }
    }

    public static GatewayCall? From(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Key, out var value) == true ? value as GatewayCall : null;

    public void AttachTo(ChatOptions options) => (options.AdditionalProperties ??= [])[Key] = this;

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

/// <summary>What one successful attempt cost and how fast it was.</summary>
public sealed record AttemptOutcome(
    string Provider,
    string Model,
    int InputTokens,
    int OutputTokens,
    bool TokensEstimated,
    decimal? CostUsd,
    TimeSpan? TimeToFirstToken);
