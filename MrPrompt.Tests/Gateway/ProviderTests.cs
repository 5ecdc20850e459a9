using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Gateway;

/// <summary>Every provider kind through its real SDK, against recorded wire traffic served over HTTP.</summary>
public sealed class ProviderTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public ProviderTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        _fixture.Upstream.Reset();
    }

    [Fact]
    public async Task OpenAI_stream_yields_the_recorded_text_then_usage_cost_and_a_usage_row()
    {
        var request = _fixture.UserId.Ask("openai/gpt-4o-mini");

        var (deltas, last) = await _fixture.Gateway.StreamAsync(request, TestContext.Current.CancellationToken).CollectAsync();

        var result = Assert.IsType<GatewayCompleted>(last).Result;
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), string.Concat(deltas));
        Assert.True(deltas.Count > 100, "the answer should arrive in many deltas, not at once");
        Assert.Equal((22, 712, false), (result.InputTokens, result.OutputTokens, result.TokensEstimated));
        Assert.Equal(0.0004305m, result.CostUsd); // 22 × $0.15/M + 712 × $0.60/M
        Assert.Equal("stop", result.FinishReason);

        var row = Assert.Single(await _fixture.UsageRowsAsync(request.TraceId!, 1));
        Assert.Equal((_fixture.UserId, "openai", "gpt-4o-mini", UsageStatus.Success), (row.UserId, row.Provider, row.Model, row.Status));
        Assert.Equal((22, 712, 0.0004305m), (row.InputTokens, row.OutputTokens, row.CostUsd));
        Assert.NotNull(row.TimeToFirstTokenMs);
        Assert.True(row.LatencyMs >= row.TimeToFirstTokenMs);
    }

    [Fact]
    public async Task OpenAI_complete_returns_the_recorded_answer()
    {
        var outcome = await _fixture.Gateway.CompleteAsync(_fixture.UserId.Ask("openai/gpt-4o-mini", "Hello, world!"), TestContext.Current.CancellationToken);

        Assert.True(outcome.Succeeded, outcome.Error?.Message);
        Assert.Equal("Hello! How can I assist you today?", outcome.Result!.Text);
        Assert.Equal((11, 9), (outcome.Result.InputTokens, outcome.Result.OutputTokens));
    }

    [Fact]
    public async Task OpenAI_sends_the_json_response_format_and_returns_json()
    {
        var request = _fixture.UserId.Ask("openai/gpt-4o-mini", "List three colours as JSON.") with { ResponseFormat = GatewayResponseFormat.Json };

        var outcome = await _fixture.Gateway.CompleteAsync(request, TestContext.Current.CancellationToken);

        Assert.True(outcome.Succeeded, outcome.Error?.Message);
        Assert.Contains("\"response_format\":{\"type\":\"json_object\"}", _fixture.Upstream.Requests[^1].Body);
        System.Text.Json.JsonDocument.Parse(outcome.Result!.Text).Dispose();
    }

    [Fact]
    public async Task Anthropic_stream_through_its_own_sdk_yields_text_and_usage()
    {
        var request = _fixture.UserId.Ask("anthropic/claude-3-opus-latest", "Hello");

        var (deltas, last) = await _fixture.Gateway.StreamAsync(request, TestContext.Current.CancellationToken).CollectAsync();

        var result = Assert.IsType<GatewayCompleted>(last).Result;
        Assert.Equal(["Hello", " there", "!"], deltas);
        Assert.Equal((11, 6, false), (result.InputTokens, result.OutputTokens, result.TokensEstimated));
        Assert.Equal("anthropic", result.Provider);
        Assert.Equal(FakeProviderServer.ValidKey, _fixture.Upstream.Requests[^1].ApiKey);
    }

    [Fact]
    public async Task Anthropic_complete_returns_the_message()
    {
        var outcome = await _fixture.Gateway.CompleteAsync(_fixture.UserId.Ask("anthropic/claude-3-opus-latest", "Hello"), TestContext.Current.CancellationToken);

        Assert.True(outcome.Succeeded, outcome.Error?.Message);
        Assert.Equal("Hello there!", outcome.Result!.Text);
        Assert.Equal((11, 6), (outcome.Result.InputTokens, outcome.Result.OutputTokens));
    }

    [Fact]
    public async Task Anthropic_error_event_mid_stream_keeps_the_partial_text_and_explains()
    {
        _fixture.Upstream.Enqueue(Fault.StreamErrorAfter(4)); // message_start, block start, ping, "Hello"

        var (deltas, last) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("anthropic/claude-3-opus-latest", "Hello"), TestContext.Current.CancellationToken).CollectAsync();

        var failed = Assert.IsType<GatewayFailed>(last);
        Assert.Equal("Hello", failed.PartialText);
        Assert.Equal(GatewayErrorCode.ProviderUnavailable, failed.Error.Code);
        Assert.Equal(1, _fixture.Upstream.ChatRequestCount); // text had streamed: no retry
    }

    [Fact]
    public async Task Echo_streams_the_prompt_back_word_by_word_for_free()
    {
        var (deltas, last) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("echo/echo", "one two three"), TestContext.Current.CancellationToken).CollectAsync();

        var result = Assert.IsType<GatewayCompleted>(last).Result;
        Assert.Equal(["one", " two", " three"], deltas);
        Assert.Equal((3, 3, 0m), (result.InputTokens, result.OutputTokens, result.CostUsd));
        Assert.Equal(0, _fixture.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task Echo_keeps_indentation_line_breaks_and_nested_lists_exactly()
    {
        const string markdown = "# Plan\n\n- one\n  - nested *two*\n    - deeper\n\n```python\ndef f():\n    return 1\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";

        var (deltas, last) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("echo/echo", markdown), TestContext.Current.CancellationToken).CollectAsync();

        Assert.Equal(markdown, string.Concat(deltas));
        Assert.True(deltas.Count > 10, "the answer came in one piece");
        Assert.Equal(deltas.Count, Assert.IsType<GatewayCompleted>(last).Result.OutputTokens);
    }

    [Fact]
    public void Echo_cuts_text_without_spaces_into_short_pieces_and_never_splits_an_emoji()
    {
        var text = string.Concat(Enumerable.Repeat("漢字かな交じり文🎉", 20));

        var pieces = EchoChatClient.Pieces(text);

        Assert.Equal(text, string.Concat(pieces));
        Assert.All(pieces, p => Assert.InRange(p.Length, 1, 17));
        Assert.All(pieces, p => Assert.False(char.IsHighSurrogate(p[^1]), "a piece ends inside an emoji"));
    }

    [Fact]
    public async Task Missing_usage_is_counted_with_a_tokenizer_and_flagged()
    {
        _fixture.Upstream.OmitUsage = true;
        var request = _fixture.UserId.Ask("openai/gpt-4o-mini");

        var (_, last) = await _fixture.Gateway.StreamAsync(request, TestContext.Current.CancellationToken).CollectAsync();

        var result = Assert.IsType<GatewayCompleted>(last).Result;
        Assert.True(result.TokensEstimated);
        Assert.InRange(result.OutputTokens, 600, 800); // the provider counted 712 for this text
        Assert.True((await _fixture.UsageRowsAsync(request.TraceId!, 1)).Single().TokensEstimated);
    }

    [Fact]
    public async Task A_stream_abandoned_by_its_reader_is_still_logged_as_cancelled()
    {
        var request = _fixture.UserId.Ask("openai/gpt-4o");
        var deltas = 0;
        await foreach (var item in _fixture.Gateway.StreamAsync(request, TestContext.Current.CancellationToken))
        {
            if (item is GatewayDelta && ++deltas == 3)
            {
                break; // the reader walks away without cancelling
            }
        }

        var row = Assert.Single(await _fixture.UsageRowsAsync(request.TraceId!, 1));
        Assert.Equal((UsageStatus.Cancelled, true), (row.Status, row.TokensEstimated));
        Assert.True(row.OutputTokens > 0);
    }

    [Fact]
    public async Task A_call_stopped_on_purpose_logs_no_warning_while_a_failing_one_still_does()
    {
        int Warnings() => _fixture.Logs.Entries.Count(e => e.StartsWith("Warning Microsoft.Extensions.AI", StringComparison.Ordinal));
        int StoppedWarnings() => _fixture.Logs.Entries.Count(e => e.StartsWith("Warning", StringComparison.Ordinal) && e.Contains("CanceledException", StringComparison.Ordinal));
        var before = (Warnings(), StoppedWarnings());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var deltas = 0;
        await foreach (var item in _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("openai/gpt-4o"), stop.Token))
        {
            if (item is GatewayDelta && ++deltas == 2)
            {
                await stop.CancelAsync(); // what Stop does
            }
        }
        Assert.Equal(before, (Warnings(), StoppedWarnings()));

        await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("broken/gpt-4o-mini"), TestContext.Current.CancellationToken).CollectAsync();
        Assert.True(Warnings() > before.Item1, "a rejected key is no longer logged");
    }

    [Fact]
    public async Task Provider_names_are_case_insensitive()
    {
        var (_, last) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("OpenAI/gpt-4o"), TestContext.Current.CancellationToken).CollectAsync();
        Assert.Equal("openai", Assert.IsType<GatewayCompleted>(last).Result.Provider);
    }

    [Fact]
    public async Task Rejected_key_is_a_clear_message_and_no_retry()
    {
        var (_, last) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("broken/gpt-4o-mini"), TestContext.Current.CancellationToken).CollectAsync();

        var failed = Assert.IsType<GatewayFailed>(last);
        Assert.Equal(GatewayErrorCode.InvalidKey, failed.Error.Code);
        Assert.Equal("broken rejected the API key. Check or replace it in Settings → Provider keys.", failed.Error.Message);
        Assert.Equal(1, _fixture.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task A_model_the_provider_no_longer_serves_is_its_not_found_in_words()
    {
        _fixture.Upstream.Enqueue(Fault.Status(404));

        var (_, last) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("openai/gpt-4o"), TestContext.Current.CancellationToken).CollectAsync();

        Assert.Equal(GatewayErrorCode.ModelNotFound, Assert.IsType<GatewayFailed>(last).Error.Code);
    }

    [Fact]
    public async Task The_shared_key_serves_only_the_models_its_provider_offers_and_says_which()
    {
        var before = _fixture.Upstream.ChatRequestCount;

        var (_, last) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("openai/gpt-9-priceless"), TestContext.Current.CancellationToken).CollectAsync();

        var error = Assert.IsType<GatewayFailed>(last).Error;
        Assert.Equal(GatewayErrorCode.ModelNotOffered, error.Code);
        Assert.Contains("openai/gpt-4o-mini, openai/gpt-4o", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, _fixture.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task Unshared_system_key_asks_for_the_users_own()
    {
        var (_, last) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("private/gpt-4o-mini"), TestContext.Current.CancellationToken).CollectAsync();

        var failed = Assert.IsType<GatewayFailed>(last);
        Assert.Equal(GatewayErrorCode.MissingCredential, failed.Error.Code);
        Assert.Equal("Add a key for private in Settings → Provider keys to use its models.", failed.Error.Message);
        Assert.Equal(0, _fixture.Upstream.ChatRequestCount);
    }

    [Fact]
    public async Task Known_provider_without_any_key_says_which_key_to_add()
    {
        var request = _fixture.UserId.Ask("groq/llama-3.1-8b-instant");

        var (_, last) = await _fixture.Gateway.StreamAsync(request, TestContext.Current.CancellationToken).CollectAsync();

        Assert.Equal("Add a key for Groq in Settings → Provider keys to use its models.", Assert.IsType<GatewayFailed>(last).Error.Message);
        var row = Assert.Single(await _fixture.UsageRowsAsync(request.TraceId!, 1));
        Assert.Equal(("missing_credential", UsageStatus.Error), (row.ErrorCode, row.Status));
    }
}
