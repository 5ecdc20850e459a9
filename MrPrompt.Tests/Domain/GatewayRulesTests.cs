using Microsoft.Extensions.Time.Testing;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Tests.Domain;

public sealed class CircuitBreakerRulesTests
{
    private readonly FakeTimeProvider _clock = new();

    private static long Acquire(CircuitBreaker breaker)
    {
        Assert.True(breaker.TryAcquire(out var ticket));
        return ticket;
    }

    [Fact]
    public void Opens_after_the_threshold_and_refuses_until_the_break_is_over()
    {
        var breaker = new CircuitBreaker(_clock, failureThreshold: 3, breakDuration: TimeSpan.FromSeconds(30));
        for (var i = 0; i < 2; i++)
        {
            breaker.RecordFailure(Acquire(breaker));
        }
        Assert.Equal(CircuitState.Closed, breaker.State);
        breaker.RecordFailure(Acquire(breaker));

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryAcquire(out _));
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(breaker.TryAcquire(out _));
    }

    [Fact]
    public void After_the_break_one_trial_call_decides()
    {
        var breaker = OpenBreaker();
        _clock.Advance(TimeSpan.FromSeconds(30));

        var trial = Acquire(breaker);
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.False(breaker.TryAcquire(out _)); // only one trial at a time
        breaker.RecordSuccess(trial);

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryAcquire(out _));
    }

    [Fact]
    public void A_failed_trial_opens_the_circuit_again()
    {
        var breaker = OpenBreaker();
        _clock.Advance(TimeSpan.FromSeconds(30));

        breaker.RecordFailure(Acquire(breaker));

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryAcquire(out _));
    }

    [Fact]
    public void A_success_resets_the_failure_count()
    {
        var breaker = new CircuitBreaker(_clock, failureThreshold: 2);
        breaker.RecordFailure(Acquire(breaker));
        breaker.RecordSuccess(Acquire(breaker));
        breaker.RecordFailure(Acquire(breaker));
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void Calls_from_before_the_circuit_opened_cannot_decide_the_trial()
    {
        var breaker = new CircuitBreaker(_clock, failureThreshold: 1, breakDuration: TimeSpan.FromSeconds(30));
        var straggler = Acquire(breaker);
        var anotherStraggler = Acquire(breaker);
        breaker.RecordFailure(Acquire(breaker)); // opens
        _clock.Advance(TimeSpan.FromSeconds(30));
        var trial = Acquire(breaker);

        breaker.RecordSuccess(straggler);      // must not close the circuit
        breaker.RecordNeutral(anotherStraggler); // must not free the trial slot

        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.False(breaker.TryAcquire(out _));
        breaker.RecordSuccess(trial);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    private CircuitBreaker OpenBreaker()
    {
        var breaker = new CircuitBreaker(_clock, failureThreshold: 1, breakDuration: TimeSpan.FromSeconds(30));
        breaker.RecordFailure(Acquire(breaker));
        return breaker;
    }
}

public sealed class RetryBackoffTests
{
    private static readonly RetryBackoff Backoff = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20));

    [Theory]
    [InlineData(1, 0.0, 250)]
    [InlineData(1, 1.0, 500)]
    [InlineData(2, 0.0, 500)]
    [InlineData(3, 0.5, 1500)]
    [InlineData(10, 1.0, 20_000)] // capped
    public void Delay_grows_exponentially_with_jitter_between_half_and_all_of_the_step(int attempt, double jitter, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.DelayBefore(attempt, null, jitter));

    [Fact]
    public void The_providers_Retry_After_is_honoured_exactly() =>
        Assert.Equal(TimeSpan.FromSeconds(7), Backoff.DelayBefore(1, TimeSpan.FromSeconds(7), 0.3));

    [Fact]
    public void A_Retry_After_longer_than_we_wait_means_no_retry() =>
        Assert.Null(Backoff.DelayBefore(1, TimeSpan.FromSeconds(21), 0.3));
}

public sealed class PricingTests
{
    [Fact]
    public void Cost_is_tokens_times_price_per_million() =>
        Assert.Equal(0.0004305m, new ModelPrice(0.15m, 0.60m).CostOf(22, 712));

    [Fact]
    public void Tiny_costs_are_kept_not_rounded_away() =>
        Assert.Equal(0.0000001m, new ModelPrice(0.10m, 0m).CostOf(1, 0));

    [Theory]
    [InlineData("gpt-4o-mini", 0.15)]
    [InlineData("gpt-4o-mini-2024-07-18", 0.15)] // dated snapshot
    [InlineData("gpt-4o-2024-08-06", 2.50)]      // not mistaken for gpt-4o-mini
    public void Published_prices_match_dated_snapshots(string model, double input) =>
        Assert.Equal((decimal)input, KnownPrices.For(model)!.InputPerMillion);

    [Fact]
    public void Unknown_models_have_no_price_rather_than_a_wrong_one() =>
        Assert.Null(KnownPrices.For("my-finetune"));

    [Theory]
    [InlineData("openai/gpt-4o-mini", "openai", "gpt-4o-mini")]
    [InlineData("openrouter/openai/gpt-4o", "openrouter", "openai/gpt-4o")]
    public void Model_names_split_at_the_first_slash(string text, string provider, string model)
    {
        Assert.True(ModelRef.TryParse(text, out var parsed));
        Assert.Equal((provider, model), (parsed.Provider, parsed.Model));
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("/gpt-4o")]
    [InlineData("openai/")]
    [InlineData(null)]
    public void Model_names_without_a_provider_are_refused(string? text) =>
        Assert.False(ModelRef.TryParse(text, out _));
}

public sealed class GatewayErrorTests
{
    [Fact]
    public void Codes_are_snake_case_for_logs_and_apis() =>
        Assert.Equal("credential_needs_reentry", GatewayError.CredentialNeedsReentry("X").CodeName);

    [Fact]
    public void Rate_limit_message_says_how_long_to_wait() =>
        Assert.Equal("Groq is rate limiting requests. Try again in 3 s.", GatewayError.RateLimited("Groq", TimeSpan.FromSeconds(2.2)).Message);
}
