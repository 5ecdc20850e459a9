using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Gateway;

/// <summary>Retries, timeouts, fallbacks and cancellation against injected upstream faults.</summary>
public sealed class ResilienceTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public ResilienceTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        _fixture.Upstream.Reset();
    }

    private Task<(List<string> Deltas, GatewayEvent Last)> StreamAsync(GatewayRequest request) =>
        _fixture.Gateway.StreamAsync(request, TestContext.Current.CancellationToken).CollectAsync();

    [Fact]
    public async Task Rate_limit_is_retried_after_the_providers_Retry_After()
    {
        // A twentieth of a second, read from the header by the real SDK; that the wait is exactly the one
        // asked for is RetryTimingTests' job, on a clock it moves.
        _fixture.Upstream.Enqueue(Fault.Status(429, retryAfter: "0.05"));
        var request = _fixture.UserId.Ask("openai/gpt-4o");
        var clock = Stopwatch.StartNew();

        var (_, last) = await StreamAsync(request);

        Assert.IsType<GatewayCompleted>(last);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.05), $"retried after {clock.Elapsed}, before the asked wait");
        Assert.Equal(2, _fixture.Upstream.ChatRequestCount);
        var rows = await _fixture.UsageRowsAsync(request.TraceId!, 2);
        Assert.Equal([(1, UsageStatus.Error, "rate_limited"), (2, UsageStatus.Success, null)],
            rows.Select(r => (r.Attempt, r.Status, r.ErrorCode)));
    }

    [Fact]
    public async Task Server_errors_are_retried_up_to_the_limit_then_explained()
    {
        _fixture.Upstream.Enqueue(Fault.Status(500), Fault.Status(502), Fault.Status(503));

        var (_, last) = await StreamAsync(_fixture.UserId.Ask("openai/gpt-4o"));

        var failed = Assert.IsType<GatewayFailed>(last);
        Assert.Equal(GatewayErrorCode.ProviderUnavailable, failed.Error.Code);
        Assert.Equal("OpenAI is not answering right now. Try again in a moment or pick another model.", failed.Error.Message);
        Assert.Equal(3, _fixture.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task Long_Retry_After_is_not_waited_for_but_reported()
    {
        _fixture.Upstream.Enqueue(Fault.Status(429, retryAfter: "120"));

        var (_, last) = await StreamAsync(_fixture.UserId.Ask("openai/gpt-4o"));

        var failed = Assert.IsType<GatewayFailed>(last);
        Assert.Equal(GatewayErrorCode.RateLimited, failed.Error.Code);
        Assert.Equal(TimeSpan.FromSeconds(120), failed.Error.RetryAfter);
        Assert.Contains("Try again in 120 s.", failed.Error.Message);
        Assert.Equal(1, _fixture.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task Anthropics_Retry_After_reaches_the_final_message()
    {
        _fixture.Upstream.Enqueue(Fault.Status(429, retryAfter: "90"));

        var (_, last) = await StreamAsync(_fixture.UserId.Ask("anthropic/claude-3-opus-latest", "Hello"));

        var failed = Assert.IsType<GatewayFailed>(last);
        Assert.Equal((GatewayErrorCode.RateLimited, TimeSpan.FromSeconds(90)), (failed.Error.Code, failed.Error.RetryAfter));
        Assert.Equal(1, _fixture.Upstream.ChatRequestCount); // 90 s is longer than we hold a user: no retry
    }

    [Fact]
    public async Task A_first_token_that_never_comes_counts_as_a_failed_attempt()
    {
        _fixture.Upstream.Enqueue(Fault.SlowFirstByte(TimeSpan.FromSeconds(5)));
        var request = _fixture.UserId.Ask("openai/gpt-4o");

        var (_, last) = await StreamAsync(request);

        Assert.IsType<GatewayCompleted>(last);
        Assert.Equal(2, _fixture.Upstream.ChatRequestCount);
        Assert.Equal("timeout", (await _fixture.UsageRowsAsync(request.TraceId!, 2))[0].ErrorCode);
    }

    [Fact]
    public async Task A_connection_cut_after_text_is_not_retried_and_keeps_the_partial_answer()
    {
        // Paced, so the client has read the first words before the connection resets: a reset
        // discards whatever the client had not read yet.
        _fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(10);
        _fixture.Upstream.Enqueue(Fault.CutAfter(20));
        var request = _fixture.UserId.Ask("openai/gpt-4o");

        var (deltas, last) = await StreamAsync(request);

        var failed = Assert.IsType<GatewayFailed>(last);
        Assert.Equal(GatewayErrorCode.ProviderUnavailable, failed.Error.Code);
        Assert.NotEmpty(failed.PartialText);
        Assert.Equal(string.Concat(deltas), failed.PartialText);
        Assert.StartsWith(failed.PartialText, ProviderFixtures.OpenAIStreamText());
        Assert.Equal(1, _fixture.Upstream.ChatRequestCount);
        // What was written before the cut was generated: its row counts it (estimated), as a stop would.
        var row = Assert.Single(await _fixture.UsageRowsAsync(request.TraceId!, 1));
        Assert.Equal((UsageStatus.Error, "provider_unavailable", true), (row.Status, row.ErrorCode, row.TokensEstimated));
        Assert.True(row.OutputTokens > 0 && row.InputTokens > 0, $"{row.InputTokens} in, {row.OutputTokens} out");
    }

    [Fact]
    public async Task A_connection_cut_before_any_text_is_retried_without_repeating_anything()
    {
        _fixture.Upstream.Enqueue(Fault.CutAfter(1)); // only the role announcement got through

        var (deltas, last) = await StreamAsync(_fixture.UserId.Ask("openai/gpt-4o"));

        Assert.IsType<GatewayCompleted>(last);
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), string.Concat(deltas));
        Assert.Equal(2, _fixture.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task A_failing_model_falls_back_to_the_next_in_its_chain_and_every_attempt_is_logged()
    {
        _fixture.Upstream.Enqueue(Fault.Status(500), Fault.Status(500), Fault.Status(500));
        var request = _fixture.UserId.Ask("openai/gpt-4o-mini", "Hello");

        var (deltas, last) = await StreamAsync(request);

        var result = Assert.IsType<GatewayCompleted>(last).Result;
        Assert.Equal(("anthropic", "claude-3-opus-latest"), (result.Provider, result.Model));
        Assert.Equal("Hello there!", string.Concat(deltas));
        var rows = await _fixture.UsageRowsAsync(request.TraceId!, 4);
        Assert.Equal(
            [("openai", UsageStatus.Error), ("openai", UsageStatus.Error), ("openai", UsageStatus.Error), ("anthropic", UsageStatus.Success)],
            rows.Select(r => (r.Provider, r.Status)));
    }

    [Fact]
    public async Task A_call_limited_to_some_models_never_falls_back_to_another()
    {
        _fixture.Upstream.Enqueue(Fault.Status(500), Fault.Status(500), Fault.Status(500));
        var request = _fixture.UserId.Ask("openai/gpt-4o-mini", "Hello") with
        {
            AllowedModels = new HashSet<string>(["openai/gpt-4o-mini"], StringComparer.OrdinalIgnoreCase),
        };

        var (_, last) = await StreamAsync(request);

        Assert.Equal(GatewayErrorCode.ProviderUnavailable, Assert.IsType<GatewayFailed>(last).Error.Code);
        Assert.DoesNotContain(await _fixture.UsageRowsAsync(request.TraceId!, 3), r => r.Provider == "anthropic");
    }

    [Fact]
    public async Task Cancelling_a_call_aborts_the_upstream_request_within_a_second()
    {
        _fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(50);
        var request = _fixture.UserId.Ask("openai/gpt-4o");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var deltas = 0;
        DateTimeOffset cancelledAt = default;
        try
        {
            await foreach (var item in _fixture.Gateway.StreamAsync(request, stop.Token))
            {
                if (item is GatewayDelta && ++deltas == 3)
                {
                    cancelledAt = DateTimeOffset.UtcNow;
                    await stop.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // how the stream ends when its reader cancels it
        }

        var disconnectedAt = await _fixture.Upstream.ClientDisconnected.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.True(disconnectedAt - cancelledAt < TimeSpan.FromSeconds(1), $"upstream saw the cancel after {disconnectedAt - cancelledAt}");
        var row = Assert.Single(await _fixture.UsageRowsAsync(request.TraceId!, 1));
        Assert.Equal(UsageStatus.Cancelled, row.Status);
    }
}

/// <summary>A breaker that opens after two failures, on a fixture of its own so it trips nothing else.</summary>
public sealed class CircuitBreakerTests : IClassFixture<CircuitBreakerTests.TightBreakerFixture>
{
    private readonly GatewayFixture _fixture;

    public CircuitBreakerTests(TightBreakerFixture fixture) => _fixture = fixture.Gateway;

    [Fact]
    public async Task After_repeated_provider_failures_calls_fail_fast_without_reaching_it()
    {
        _fixture.Upstream.Enqueue(Fault.Status(500), Fault.Status(500));
        for (var i = 0; i < 2; i++)
        {
            var (_, failedCall) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("openai/gpt-4o"), TestContext.Current.CancellationToken).CollectAsync();
            Assert.IsType<GatewayFailed>(failedCall);
        }

        var request = _fixture.UserId.Ask("openai/gpt-4o");
        var (_, last) = await _fixture.Gateway.StreamAsync(request, TestContext.Current.CancellationToken).CollectAsync();

        Assert.Equal(GatewayErrorCode.ProviderUnavailable, Assert.IsType<GatewayFailed>(last).Error.Code);
        Assert.Equal(2, _fixture.Upstream.ChatRequestCount);
        Assert.Equal("provider_unavailable", Assert.Single(await _fixture.UsageRowsAsync(request.TraceId!, 1)).ErrorCode);
    }

    public sealed class TightBreakerFixture(PostgresServer server) : IAsyncLifetime
    {
        public GatewayFixture Gateway { get; } = new(server)
        {
            Overrides = { ["Gateway:CircuitFailureThreshold"] = "2", ["Gateway:MaxAttempts"] = "1" },
        };

        public ValueTask InitializeAsync() => Gateway.InitializeAsync();

        public ValueTask DisposeAsync() => Gateway.DisposeAsync();
    }
}

/// <summary>Breakers belong to a key: one person's key going bad blocks nobody on the system key.</summary>
public sealed class PerKeyBreakerTests(PerKeyBreakerTests.TightBreakerFixture fixture) : IClassFixture<PerKeyBreakerTests.TightBreakerFixture>
{
    [Fact]
    public async Task A_breaker_opened_by_one_users_key_leaves_the_system_key_open_to_others()
    {
        var ct = TestContext.Current.CancellationToken;
        var gateway = fixture.Gateway;
        var owner = await TestUsers.RegisterAsync(gateway.Services);
        gateway.Upstream.AcceptedKeys.Add("sk-own-key-failing-88887777");
        var (_, errors) = await gateway.Services.GetRequiredService<MrPrompt.Infrastructure.Credentials.CredentialService>()
            .AddAsync(owner, new MrPrompt.Infrastructure.Credentials.NewCredential("openai", "Mine", "sk-own-key-failing-88887777", gateway.Upstream.OpenAIBaseUrl), ct);
        Assert.True(errors.IsEmpty);

        gateway.Upstream.Enqueue(Fault.Status(500), Fault.Status(500));
        for (var i = 0; i < 2; i++)
        {
            Assert.IsType<GatewayFailed>((await gateway.Gateway.StreamAsync(owner.Ask("openai/gpt-4o"), ct).CollectAsync()).Last);
        }
        var ownerAgain = (await gateway.Gateway.StreamAsync(owner.Ask("openai/gpt-4o"), ct).CollectAsync()).Last;
        var calls = gateway.Upstream.ChatRequestCount;
        var other = (await gateway.Gateway.StreamAsync(gateway.UserId.Ask("openai/gpt-4o"), ct).CollectAsync()).Last;

        Assert.Equal(GatewayErrorCode.ProviderUnavailable, Assert.IsType<GatewayFailed>(ownerAgain).Error.Code); // its own breaker is open
        Assert.IsType<GatewayCompleted>(other);
        Assert.Equal(calls + 1, gateway.Upstream.ChatRequestCount);
    }

    public sealed class TightBreakerFixture(PostgresServer server) : IAsyncLifetime
    {
        public GatewayFixture Gateway { get; } = new(server)
        {
            Overrides = { ["Gateway:CircuitFailureThreshold"] = "2", ["Gateway:MaxAttempts"] = "1" },
        };

        public ValueTask InitializeAsync() => Gateway.InitializeAsync();

        public ValueTask DisposeAsync() => Gateway.DisposeAsync();
    }
}
