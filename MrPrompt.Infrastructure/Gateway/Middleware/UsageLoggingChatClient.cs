using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>
/// Records one usage row per attempt (UI, API and background calls alike): tokens from the provider's
/// own usage report, or counted with a tokenizer and flagged when it sent none; time to first token;
/// latency; cost from the price table; the error code when it failed. Writes the answering attempt's
/// accounting back to the <see cref="GatewayCall"/>.
/// </summary>
public sealed class UsageLoggingChatClient(
    IChatClient inner,
    string provider,
    string model,
    ModelPrice? price,
    IUsageSink sink,
    ITokenCounter tokens,
    TimeProvider clock) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = clock.GetTimestamp();
        var history = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        try
        {
            var response = await base.GetResponseAsync(history, options, cancellationToken);
            Succeeded(history, options, started, firstToken: null, response.Usage, response.Text);
            return response;
        }
        catch (Exception ex)
        {
            Failed(options, started, firstToken: null, ex, cancellationToken);
            throw;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = clock.GetTimestamp();
        var history = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        long? firstToken = null;
        UsageDetails? usage = null;
        var text = new StringBuilder();

        var settled = false;
        await using var updates = base.GetStreamingResponseAsync(history, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                var (hasItem, failure) = await StreamingGuard.TryMoveNextAsync(updates);
                if (failure is not null)
                {
                    settled = true;
                    if (StoppedByCaller(failure, options, cancellationToken))
                    {
                        // What was streamed before the stop was generated, and is paid for.
                        Abandoned(history, options, started, firstToken, text.ToString());
                    }
                    else
                    {
                        Failed(options, started, firstToken, failure, cancellationToken);
                    }
                    ExceptionDispatch.Rethrow(failure);
                }
                if (!hasItem)
                {
                    break;
                }
                var update = updates.Current;
                var delta = update.Text;
                if (delta.Length > 0)
                {
                    firstToken ??= clock.GetTimestamp();
                    text.Append(delta);
                }
                foreach (var content in update.Contents)
                {
                    if (content is UsageContent reported)
                    {
                        usage = reported.Details;
                    }
                }
                yield return update;
            }
            settled = true;
            Succeeded(history, options, started, firstToken, usage, text.ToString());
        }
        finally
        {
            if (!settled)
            {
                // The reader walked away mid-stream: the attempt still ran and is still logged.
                Abandoned(history, options, started, firstToken, text.ToString());
            }
        }
    }

    private void Abandoned(IReadOnlyList<ChatMessage> history, ChatOptions? options, long started, long? firstToken, string partial)
    {
        var input = tokens.Count(history);
        var output = tokens.Count(partial);
        var ttft = firstToken is { } first ? clock.GetElapsedTime(started, first) : (TimeSpan?)null;
        Write(GatewayCall.From(options), options, started, ttft, UsageStatus.Cancelled, "cancelled", input, output, true, price?.CostOf(input, output));
    }

    private void Succeeded(IReadOnlyList<ChatMessage> history, ChatOptions? options, long started, long? firstToken, UsageDetails? usage, string answer)
    {
        var estimated = usage?.InputTokenCount is null || usage.OutputTokenCount is null;
        var input = (int)(usage?.InputTokenCount ?? tokens.Count(history));
        var output = (int)(usage?.OutputTokenCount ?? tokens.Count(answer));
        var cost = price?.CostOf(input, output);
        var ttft = firstToken is { } first ? clock.GetElapsedTime(started, first) : (TimeSpan?)null;
        var call = GatewayCall.From(options);
        if (call is not null)
        {
            call.Answer = new AttemptOutcome(provider, model, input, output, estimated, cost, ttft);
        }
        Write(call, options, started, ttft, UsageStatus.Success, errorCode: null, input, output, estimated, cost);
    }

    private void Failed(ChatOptions? options, long started, long? firstToken, Exception failure, CancellationToken cancellationToken)
    {
        var call = GatewayCall.From(options);
        var cancelled = StoppedByCaller(failure, options, cancellationToken);
        var code = cancelled ? "cancelled"
            : failure is OperationCanceledException ? GatewayError.Timeout(provider).CodeName
            : ProviderErrors.Classify(failure, provider, model).Error.CodeName;
        var ttft = firstToken is { } first ? clock.GetElapsedTime(started, first) : (TimeSpan?)null;
        if (call is not null)
        {
            call.LastFailed = new ModelRef(provider, model);
            call.LastRetryAfter = Providers.ProviderResponseHeaders.RetryAfter;
        }
        // No token was used: the attempt cost nothing, which is a known price, not an unknown one.
        Write(call, options, started, ttft, cancelled ? UsageStatus.Cancelled : UsageStatus.Error, code, 0, 0, false, 0m);
    }

    /// <summary>A cancellation the caller did not ask for is a layer above giving up on a slow attempt.</summary>
    private static bool StoppedByCaller(Exception failure, ChatOptions? options, CancellationToken cancellationToken) =>
        failure is OperationCanceledException && (GatewayCall.From(options)?.CallerCancellation ?? cancellationToken).IsCancellationRequested;

    private void Write(GatewayCall? call, ChatOptions? options, long started, TimeSpan? ttft, UsageStatus status, string? errorCode,
        int input, int output, bool estimated, decimal? cost)
    {
        if (call is null)
        {
            return; // not a gateway call (for example a key check): nothing to attribute it to
        }
        call.AddSpend(input + output, cost);
        sink.Record(new UsageRecord
        {
            Id = Guid.CreateVersion7(),
            UserId = call.UserId,
            Provider = provider,
            Model = model,
            PromptVersionId = call.PromptVersionId,
            ChatSessionId = call.ChatSessionId,
            ApiKeyId = call.ApiKeyId,
            Source = call.Source,
            Status = status,
            Attempt = GatewayCall.AttemptOf(options),
            InputTokens = input,
            OutputTokens = output,
            TokensEstimated = estimated,
            TimeToFirstTokenMs = ttft is { } t ? (int)t.TotalMilliseconds : null,
            LatencyMs = (int)clock.GetElapsedTime(started).TotalMilliseconds,
            CostUsd = cost,
            ErrorCode = errorCode,
            TraceId = call.TraceId,
            ExecutedAt = clock.GetUtcNow(),
        });
    }
}

internal static class ExceptionDispatch
{
    [DoesNotReturn]
    public static void Rethrow(Exception exception) =>
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception).Throw();
}
