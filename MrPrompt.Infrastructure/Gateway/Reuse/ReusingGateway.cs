using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Infrastructure.Gateway.Reuse;

/// <summary>
/// How a program asked its call to be handled: streamed or whole (a whole answer is asked of the
/// provider whole too), an idempotency key, and whether and how long to cache the answer.
/// </summary>
public sealed record CallHandling(bool Streamed, string? IdempotencyKey = null, ResponseCaching? Cache = null);

/// <summary>Cache the answer for <paramref name="Ttl"/>; the key also covers the inputs the prompt was rendered from.</summary>
public sealed record ResponseCaching(string PromptKey, TimeSpan Ttl, IReadOnlyDictionary<string, object?> Inputs);

/// <summary>The events a caller follows, with the cache key when caching was asked for; or why the call was refused.</summary>
public sealed record CallStart(IAsyncEnumerable<GatewayEvent>? Events, string? CacheKey, GatewayError? Refusal);

/// <summary>
/// The API's way into the gateway: before calling a provider it replays an idempotent request that
/// already finished, serves a cached answer, or joins an identical call already under way on this
/// instance or another (in-flight dedup), so a burst of the same request costs one upstream call. Whatever runs still goes through
/// <see cref="IChatGateway"/> with its limits, retries and usage log.
/// </summary>
public sealed partial class ReusingGateway(
    IChatGateway gateway,
    InFlightCalls inFlight,
    FleetCalls fleet,
    ResponseCache cache,
    IdempotencyStore idempotency,
    IUsageSink usage,
    TimeProvider clock,
    ILogger<ReusingGateway> logger)
{
    public async Task<CallStart> StartAsync(GatewayRequest request, CallHandling handling, CancellationToken cancellationToken)
    {
        var fingerprint = RequestFingerprint.Of(request);
        var cacheKey = handling.Cache is { } caching ? ResponseCache.KeyFor(fingerprint, caching.Inputs) : null;
        // Requests share a call only when they also agree on keeping its answer.
        var sharedKey = $"request:{fingerprint}:{(handling.Streamed ? "streamed" : "whole")}:{cacheKey ?? "uncached"}:{handling.Cache?.Ttl.TotalSeconds}";
        if (handling.IdempotencyKey is { } key)
        {
            sharedKey = $"idempotent:{request.UserId}:{key}";
            var claim = await idempotency.ClaimAsync(request.UserId, key, fingerprint, cancellationToken);
            switch (claim.Verdict)
            {
                case IdempotencyVerdict.Conflict:
                    return new CallStart(null, cacheKey, GatewayError.IdempotencyKeyReused());
                case IdempotencyVerdict.Replay:
                    var stored = claim.Record!;
                    var replayed = ResultOf(request, stored.ResponseContent!, stored.Model!, stored.InputTokens, stored.OutputTokens, stored.FinishReason, cached: false);
                    return new CallStart(Events(replayed), cacheKey, null);
                case IdempotencyVerdict.InProgress:
                    // Attach to the live stream here; or wait for the answer of the one another instance runs.
                    if (inFlight.TryJoin(sharedKey, cancellationToken) is { } live)
                    {
                        return new CallStart(live, cacheKey, null);
                    }
                    return await fleet.FollowAsync(sharedKey, request.UserId, cancellationToken) is { } elsewhere
                        ? new CallStart(Events(ResultOf(request, elsewhere)), cacheKey, null)
                        : new CallStart(null, cacheKey, GatewayError.RequestInProgress());
            }
        }

        try
        {
            return await RunAsync(request, handling, fingerprint, cacheKey, sharedKey, cancellationToken);
        }
        catch (Exception) when (handling.IdempotencyKey is { } claimed)
        {
            // Nothing runs under the key we just claimed: free it, or the program's retry would wait for nothing.
            await idempotency.ReleaseAsync(request.UserId, claimed, CancellationToken.None);
            throw;
        }
    }

    private async Task<CallStart> RunAsync(
        GatewayRequest request, CallHandling handling, string fingerprint, string? cacheKey, string sharedKey, CancellationToken cancellationToken)
    {
        if (cacheKey is not null && await cache.FindAsync(cacheKey, cancellationToken) is { } hit)
        {
            RecordCacheHit(request, hit);
            var result = ResultOf(request, hit.ResponseContent, hit.Model, hit.InputTokens, hit.OutputTokens, hit.FinishReason, cached: true);
            if (handling.IdempotencyKey is { } claimed)
            {
                await idempotency.CompleteAsync(request.UserId, claimed, result, CancellationToken.None);
            }
            return new CallStart(Events(result), cacheKey, null);
        }

        // Shared by the identical requests of this instance (in flight) and of the others (fleet): one upstream call.
        var events = inFlight.JoinOrStart(
            sharedKey,
            token => fleet.RunOnceAsync(sharedKey, request.UserId,
                call => KeepingAsync(handling.Streamed ? gateway.StreamAsync(request, call) : WholeAsync(request, call),
                    outcome => FinishedAsync(request, fingerprint, handling, cacheKey, outcome)),
                answer => Events(ResultOf(request, answer)), token),
            // A call that ended with no outcome (every reader left) still frees its idempotency key.
            last => last is GatewayCompleted or GatewayFailed ? Task.CompletedTask : FinishedAsync(request, fingerprint, handling, cacheKey, last),
            cancellationToken);
        return new CallStart(events, cacheKey, null);
    }

    /// <summary>
    /// Passes the events on, keeping the outcome (cache, idempotency) before it is passed: once a
    /// caller has the answer, a repeat of its request finds it.
    /// </summary>
    private static async IAsyncEnumerable<GatewayEvent> KeepingAsync(
        IAsyncEnumerable<GatewayEvent> events, Func<GatewayEvent, Task> keep, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in events.WithCancellation(cancellationToken))
        {
            if (item is GatewayCompleted or GatewayFailed)
            {
                await keep(item);
            }
            yield return item;
        }
    }

    /// <summary>Keeps a finished answer for the cache and the idempotency key, or frees the key after a failure.</summary>
    private async Task FinishedAsync(GatewayRequest request, string fingerprint, CallHandling handling, string? cacheKey, GatewayEvent? last)
    {
        try
        {
            if (last is GatewayCompleted { Result: var result })
            {
                if (cacheKey is not null && handling.Cache is { } caching)
                {
                    var now = clock.GetUtcNow();
                    await cache.StoreAsync(new CachedResponse
                    {
                        Id = Guid.CreateVersion7(now),
                        CacheKey = cacheKey,
                        PromptKey = caching.PromptKey,
                        UserId = request.UserId,
                        RequestHash = fingerprint,
                        ResponseContent = result.Text,
                        Model = $"{result.Provider}/{result.Model}",
                        InputTokens = result.InputTokens,
                        OutputTokens = result.OutputTokens,
                        FinishReason = result.FinishReason,
                        CreatedAt = now,
                        ExpiresAt = now + caching.Ttl,
                    }, CancellationToken.None);
                }
                if (handling.IdempotencyKey is { } key)
                {
                    await idempotency.CompleteAsync(request.UserId, key, result, CancellationToken.None);
                }
            }
            else if (handling.IdempotencyKey is { } key)
            {
                await idempotency.ReleaseAsync(request.UserId, key, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // The caller already has the answer; only its reuse is lost. A key left unfinished would block retries.
            LogKeepFailed(logger, request.TraceId ?? "", ex.GetType().Name);
            if (handling.IdempotencyKey is { } key)
            {
                try
                {
                    await idempotency.ReleaseAsync(request.UserId, key, CancellationToken.None);
                }
                catch (Exception again) when (again is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    LogKeepFailed(logger, request.TraceId ?? "", again.GetType().Name); // the lease frees it later
                }
            }
        }
    }

    private static GatewayResult ResultOf(GatewayRequest request, FleetCallAnswer answer) =>
        ResultOf(request, answer.Text, answer.Model, answer.InputTokens, answer.OutputTokens, answer.FinishReason, cached: false);

    private static GatewayResult ResultOf(GatewayRequest request, string text, string model, int input, int output, string? finishReason, bool cached)
    {
        var answeredBy = ModelRef.TryParse(model, out var parsed) ? parsed : request.Model;
        return new GatewayResult
        {
            Text = text,
            Provider = answeredBy.Provider,
            Model = answeredBy.Model,
            InputTokens = input,
            OutputTokens = output,
            FinishReason = finishReason,
            TraceId = request.TraceId ?? "",
            Cached = cached,
        };
    }

    /// <summary>A whole answer as the same events a stream ends with.</summary>
    private async IAsyncEnumerable<GatewayEvent> WholeAsync(GatewayRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var outcome = await gateway.CompleteAsync(request, cancellationToken);
        if (outcome.Result is not { } result)
        {
            yield return new GatewayFailed(outcome.Error!, "", request.TraceId ?? "");
            yield break;
        }
        await foreach (var item in Events(result))
        {
            yield return item;
        }
    }

#pragma warning disable CS1998 // an iterator over values already at hand
    private static async IAsyncEnumerable<GatewayEvent> Events(GatewayResult result)
    {
        yield return new GatewayStarted(result.TraceId);
        if (result.Text.Length > 0)
        {
            yield return new GatewayDelta(result.Text);
        }
        yield return new GatewayCompleted(result);
    }
#pragma warning restore CS1998

    /// <summary>A cache hit is a call too: logged with no cost, so the usage page shows what the cache saved.</summary>
    private void RecordCacheHit(GatewayRequest request, CachedResponse hit) =>
        usage.Record(GatewayCall.For(request, CancellationToken.None).UsageRow(
            ModelRef.TryParse(hit.Model, out var answeredBy) ? answeredBy : request.Model,
            UsageStatus.CacheHit, attempt: 0, AttemptMeasures.None, errorCode: null, clock.GetUtcNow()));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not keep the answer of call {TraceId} for reuse: {Reason}")]
    private static partial void LogKeepFailed(ILogger logger, string traceId, string reason);
}
