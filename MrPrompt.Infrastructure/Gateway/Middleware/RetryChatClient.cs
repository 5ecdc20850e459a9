using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using MrPrompt.Domain.Gateway;

namespace MrPrompt.Infrastructure.Gateway.Middleware;

/// <summary>
/// Retries timeouts, rate limits and server errors with exponential backoff and jitter, honouring the
/// provider's Retry-After, and never once any text has been streamed to the caller: a retry then
/// would repeat or contradict what the user already reads. A first token that does not come within
/// the timeout counts as a failed attempt.
/// </summary>
public sealed class RetryChatClient(
    IChatClient inner,
    string provider,
    string model,
    int maxAttempts,
    RetryBackoff backoff,
    TimeSpan firstTokenTimeout,
    TimeProvider clock) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var history = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await base.GetResponseAsync(history, GatewayCall.ForAttempt(options, attempt), cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && DelayBeforeRetry(ex, attempt) is { } delay)
            {
                await Task.Delay(delay, clock, cancellationToken);
            }
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var history = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        for (var attempt = 1; ; attempt++)
        {
            using var attemptToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptToken.CancelAfter(firstTokenTimeout);
            // Updates without text (the role announcement) are held back until text arrives, so an
            // attempt that fails before its first word can still be retried cleanly.
            var held = new List<ChatResponseUpdate>();
            var streamedText = false;
            Exception? failure = null;
            await foreach (var step in base.GetStreamingResponseAsync(history, GatewayCall.ForAttempt(options, attempt), attemptToken.Token).Guarded(attemptToken.Token))
            {
                if (step.Failure is not null)
                {
                    failure = step.Failure;
                    break;
                }
                var update = step.Item;
                if (!streamedText && update.Contents.Any(c => c is not UsageContent))
                {
                    // Any content (reasoning included) shows the model is working: no more first-token timeout.
                    attemptToken.CancelAfter(Timeout.InfiniteTimeSpan);
                }
                if (!streamedText && update.Text.Length == 0)
                {
                    held.Add(update);
                    continue;
                }
                if (!streamedText)
                {
                    streamedText = true;
                    attemptToken.CancelAfter(Timeout.InfiniteTimeSpan);
                    foreach (var early in held)
                    {
                        yield return early;
                    }
                    held.Clear();
                }
                yield return update;
            }

            if (failure is null)
            {
                foreach (var late in held)
                {
                    yield return late; // an answer without text (for example only usage): still an answer
                }
                yield break;
            }
            var timedOut = failure is OperationCanceledException && attemptToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            if (timedOut)
            {
                failure = new GatewayException(GatewayError.Timeout(provider), failure);
            }
            if (streamedText || cancellationToken.IsCancellationRequested || DelayBeforeRetry(failure, attempt, timedOut) is not { } delay)
            {
                ExceptionDispatch.Rethrow(failure);
                yield break;
            }
            await Task.Delay(delay, clock, cancellationToken);
        }
    }

    private TimeSpan? DelayBeforeRetry(Exception failure, int attempt, bool timedOut = false)
    {
        if (attempt >= maxAttempts)
        {
            return null;
        }
        var judged = ProviderErrors.Classify(failure, provider, model);
        return timedOut || judged.Retryable
            ? backoff.DelayBefore(attempt, judged.Error.RetryAfter, Random.Shared.NextDouble())
            : null;
    }
}
