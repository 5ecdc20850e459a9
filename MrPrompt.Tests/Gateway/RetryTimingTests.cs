using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Middleware;

namespace MrPrompt.Tests.Gateway;

/// <summary>
/// The retry layer waits exactly what the provider asked (Retry-After) before trying again, on a clock
/// the test moves: no real second passes. The headers' way into the layer is tested against the SDKs in
/// <see cref="ResilienceTests"/>.
/// </summary>
public sealed class RetryTimingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A clock that says when something starts waiting on it, so the test never advances too early.</summary>
    private sealed class SignallingClock : FakeTimeProvider
    {
        public SemaphoreSlim TimerCreated { get; } = new(0);

        /// <summary>How long each wait started on this clock was for.</summary>
        public List<TimeSpan> Waits { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            lock (Waits)
            {
                Waits.Add(dueTime);
            }
            TimerCreated.Release();
            return timer;
        }
    }

    /// <summary>Refuses the first attempt with a rate limit and Retry-After of one second, then answers.</summary>
    private sealed class RateLimitedOnce : IChatClient
    {
        public SemaphoreSlim Attempted { get; } = new(0);
        public int Attempts;

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var attempt = Interlocked.Increment(ref Attempts);
            Attempted.Release();
            await Task.Yield();
            if (attempt == 1)
            {
                var limited = GatewayError.RateLimited("Test", TimeSpan.FromSeconds(1));
                throw new ProviderCallException(new ProviderFailure(limited, Retryable: true, ProviderFault: false, 429), new HttpRequestException("429"));
            }
            yield return new ChatResponseUpdate(ChatRole.Assistant, "answered");
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task A_rate_limited_attempt_is_retried_after_exactly_the_wait_the_provider_asked_for()
    {
        var clock = new SignallingClock();
        var provider = new RateLimitedOnce();
        using var retry = new RetryChatClient(provider, "Test", "m", maxAttempts: 3, RetryBackoff.Default, TimeSpan.FromMinutes(5), clock);

        var reading = Task.Run(async () =>
        {
            var text = "";
            await foreach (var update in retry.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: Ct))
            {
                text += update.Text;
            }
            return text;
        }, Ct);
        Assert.True(await provider.Attempted.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.True(await clock.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30), Ct)); // the retry is waiting now
        Assert.Equal([TimeSpan.FromSeconds(1)], clock.Waits); // the asked second, not the backoff's half second

        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(1, Volatile.Read(ref provider.Attempts)); // not a moment before the asked second
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("answered", await reading.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal(2, provider.Attempts);
    }
}
