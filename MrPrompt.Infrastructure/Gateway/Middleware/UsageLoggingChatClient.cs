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
/// latency; cost from the price table; the error code when it failed. Returns what it learned: the
/// answering attempt's <see cref="AttemptOutcome"/> on the answer, the failed model on the failure
/// (<see cref="FailedAttempt"/>), and every attempt's spend in <see cref="GatewayCall.Spend"/>.
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
    private readonly ModelRef _model = new(provider, model);

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = clock.GetTimestamp();
        var history = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        try
        {
            var response = await base.GetResponseAsync(history, options, cancellationToken);
            return Succeeded(history, options, started, firstToken: null, response.Usage, response.Text).AttachTo(response);
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
        try
        {
            await foreach (var step in base.GetStreamingResponseAsync(history, options, cancellationToken).Guarded(cancellationToken))
            {
                if (step.Failure is { } failure)
                {
                    settled = true;
                    if (StoppedByCaller(failure, options, cancellationToken))
                    {
                        // What was streamed before the stop was generated, and is paid for.
                        Abandoned(history, options, started, firstToken, text.ToString());
                    }
                    else
                    {
                        Failed(options, started, firstToken, failure, cancellationToken, history, text.ToString());
                    }
                    ExceptionDispatch.Rethrow(failure);
                }
                var update = step.Item;
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
        }
        finally
        {
            if (!settled)
            {
                // The reader walked away mid-stream: the attempt still ran and is still logged.
                Abandoned(history, options, started, firstToken, text.ToString());
            }
        }
        yield return Succeeded(history, options, started, firstToken, usage, text.ToString()).AsUpdate();
    }

    private void Abandoned(IReadOnlyList<ChatMessage> history, ChatOptions? options, long started, long? firstToken, string partial)
    {
        var input = tokens.Count(history);
        var output = tokens.Count(partial);
        Write(options, started, firstToken, UsageStatus.Cancelled, "cancelled", input, output, true, price?.CostOf(input, output));
    }

    private AttemptOutcome Succeeded(IReadOnlyList<ChatMessage> history, ChatOptions? options, long started, long? firstToken, UsageDetails? usage, string answer)
    {
        var estimated = usage?.InputTokenCount is null || usage.OutputTokenCount is null;
        var input = (int)(usage?.InputTokenCount ?? tokens.Count(history));
        var output = (int)(usage?.OutputTokenCount ?? tokens.Count(answer));
        var cost = price?.CostOf(input, output);
        var measures = Write(options, started, firstToken, UsageStatus.Success, errorCode: null, input, output, estimated, cost);
        return new AttemptOutcome(provider, model, input, output, estimated, cost, measures.TimeToFirstToken);
    }

    /// <param name="partial">What was streamed before the failure: generated, so paid for, like a stopped answer.</param>
    private void Failed(ChatOptions? options, long started, long? firstToken, Exception failure, CancellationToken cancellationToken,
        IReadOnlyList<ChatMessage>? history = null, string partial = "")
    {
        var cancelled = StoppedByCaller(failure, options, cancellationToken);
        var code = cancelled ? "cancelled"
            : failure is OperationCanceledException ? GatewayError.Timeout(provider).CodeName
            : ProviderErrors.Classify(failure, provider, model).Error.CodeName;
        FailedAttempt.Note(failure, _model);
        var status = cancelled ? UsageStatus.Cancelled : UsageStatus.Error;
        if (partial.Length > 0 && history is not null)
        {
            var input = tokens.Count(history);
            var output = tokens.Count(partial);
            Write(options, started, firstToken, status, code, input, output, true, price?.CostOf(input, output));
            return;
        }
        // No token was used: the attempt cost nothing, which is a known price, not an unknown one.
        Write(options, started, firstToken, status, code, 0, 0, false, 0m);
    }

    /// <summary>A cancellation the caller did not ask for is a layer above giving up on a slow attempt.</summary>
    private static bool StoppedByCaller(Exception failure, ChatOptions? options, CancellationToken cancellationToken) =>
        failure is OperationCanceledException && (GatewayCall.From(options)?.CallerCancellation ?? cancellationToken).IsCancellationRequested;

    private AttemptMeasures Write(ChatOptions? options, long started, long? firstToken, UsageStatus status, string? errorCode,
        int input, int output, bool estimated, decimal? cost)
    {
        var measures = new AttemptMeasures(input, output, estimated, cost,
            firstToken is { } first ? clock.GetElapsedTime(started, first) : null, clock.GetElapsedTime(started));
        // Not a gateway call (for example a key check): nothing to attribute it to.
        if (GatewayCall.From(options) is { } call)
        {
            call.Spend.Add(input + output, cost);
            sink.Record(call.UsageRow(_model, status, GatewayCall.AttemptOf(options), measures, errorCode, clock.GetUtcNow()));
        }
        return measures;
    }
}

internal static class ExceptionDispatch
{
    [DoesNotReturn]
    public static void Rethrow(Exception exception) =>
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception).Throw();
}
