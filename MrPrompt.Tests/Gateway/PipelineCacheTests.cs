using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Gateway;

/// <summary>
/// Per-model pipelines are kept for reuse and disposed when they fall out of the cache: a pipeline
/// evicted while an answer streams through it finishes that answer, and the next call builds a new one.
/// </summary>
public sealed class PipelineCacheTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public PipelineCacheTests(GatewayFixture fixture)
    {
        _fixture = fixture;
        _fixture.Upstream.Reset();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_pipeline_evicted_mid_stream_finishes_its_answer_and_the_next_call_gets_a_fresh_one()
    {
        _fixture.Upstream.ChunkDelay = TimeSpan.FromMilliseconds(5);
        var cache = (MemoryCache)_fixture.Services.GetRequiredService<IMemoryCache>();
        var deltas = new List<string>();
        GatewayEvent? last = null;

        await foreach (var item in _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("openai/gpt-4o"), Ct))
        {
            if (item is GatewayDelta delta)
            {
                if (deltas.Count == 0)
                {
                    cache.Compact(1.0); // every kept pipeline is evicted and disposed while this one streams
                }
                deltas.Add(delta.Text);
            }
            else
            {
                last = item;
            }
        }

        var completed = Assert.IsType<GatewayCompleted>(last);
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), string.Concat(deltas));
        Assert.Equal(completed.Result.Text, string.Concat(deltas));
        Assert.True(completed.Result.OutputTokens > 0);

        var (again, end) = await _fixture.Gateway.StreamAsync(_fixture.UserId.Ask("openai/gpt-4o"), Ct).CollectAsync();
        Assert.IsType<GatewayCompleted>(end);
        Assert.Equal(ProviderFixtures.OpenAIStreamText(), string.Concat(again));
        Assert.Equal(2, _fixture.Upstream.ChatRequestCount);
    }
}
