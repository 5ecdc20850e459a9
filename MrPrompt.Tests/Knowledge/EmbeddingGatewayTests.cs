using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway.Embeddings;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Knowledge;

/// <summary>The gateway's embedding side, with a real OpenAI SDK calling the fake upstream, and the offline model.</summary>
public sealed class EmbeddingGatewayFixture(PostgresServer server) : GatewayFixture(server)
{
    public const string EndpointModel = "text-embedding-3-small";

    public EmbeddingGateway Embeddings => Services.GetRequiredService<EmbeddingGateway>();

    protected override void Configure(Dictionary<string, string?> settings)
    {
        // The seed's endpoint, asked for floats as DeepInfra needs; the OpenAI provider keeps the SDK's base64.
        settings["EMBEDDING_API_BASE"] = Upstream.OpenAIBaseUrl;
        settings["EMBEDDING_MODEL_DEFAULT"] = EndpointModel;
        settings["EMBEDDING_API_KEY"] = FakeProviderServer.ValidKey;
        settings["EMBEDDING_ENCODING_FORMAT"] = "float";
        settings["EMBED_MAX_BATCH"] = "64";
        settings["EMBED_PROVIDER_MAX_RETRIES"] = "2";
    }
}

public sealed class EmbeddingGatewayTests : IClassFixture<EmbeddingGatewayFixture>
{
    private readonly EmbeddingGatewayFixture _fixture;

    public EmbeddingGatewayTests(EmbeddingGatewayFixture fixture)
    {
        _fixture = fixture;
        _fixture.Upstream.Reset();
    }

    private EmbeddingRequest Request(string model, params string[] inputs) => new()
    {
        UserId = _fixture.UserId,
        Model = ModelRef.TryParse(model, out var parsed) ? parsed : throw new ArgumentException(model),
        Inputs = inputs,
    };

    [Fact]
    public async Task A_request_of_130_inputs_goes_out_as_three_calls_of_at_most_64_and_comes_back_in_order()
    {
        var inputs = Enumerable.Range(0, 130).Select(i => $"passage number {i}").ToArray();

        var outcome = await _fixture.Embeddings.EmbedAsync(Request($"embedding/{EmbeddingGatewayFixture.EndpointModel}", inputs), TestContext.Current.CancellationToken);

        var result = Assert.IsType<EmbeddingResult>(outcome.Result);
        var calls = _fixture.Upstream.EmbeddingRequests.Select(r => JsonNode.Parse(r.Body!)!).ToList();
        Assert.Equal([64, 64, 2], calls.Select(c => c["input"]!.AsArray().Count));
        Assert.All(calls, c => Assert.Equal("float", c["encoding_format"]!.GetValue<string>()));
        Assert.Equal(inputs.Select(i => FakeProviderServer.VectorOf(i, 16)), result.Vectors.Select(v => v.ToArray()));
        // The provider's own token counts, added up over the three calls (three words per input).
        Assert.Equal(130 * 3, result.InputTokens);
        var rows = await _fixture.UsageRowsAsync(result.TraceId, 3);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal((UsageStatus.Success, "embedding", false), (r.Status, r.Provider, r.TokensEstimated)));
    }

    [Fact]
    public async Task A_failing_provider_is_retried_and_each_attempt_is_a_usage_row()
    {
        _fixture.Upstream.Enqueue(Fault.Status(500), Fault.Status(503));

        var outcome = await _fixture.Embeddings.EmbedAsync(Request("openai/text-embedding-3-small", "retry me"), TestContext.Current.CancellationToken);

        var result = Assert.IsType<EmbeddingResult>(outcome.Result);
        Assert.Equal(FakeProviderServer.VectorOf("retry me", 16), result.Vectors[0].ToArray());
        Assert.Equal(3, _fixture.Upstream.EmbeddingRequests.Count);
        var rows = await _fixture.UsageRowsAsync(result.TraceId, 3);
        Assert.Equal([(1, UsageStatus.Error), (2, UsageStatus.Error), (3, UsageStatus.Success)], rows.Select(r => (r.Attempt, r.Status)));
        // text-embedding-3-small at $0.02 per million tokens: two tokens.
        Assert.Equal(0.02m * 2 / 1_000_000, rows[^1].CostUsd);
    }

    [Fact]
    public async Task A_provider_that_keeps_failing_ends_in_words_after_the_retries()
    {
        _fixture.Upstream.Enqueue(Fault.Status(500), Fault.Status(500), Fault.Status(500));

        var outcome = await _fixture.Embeddings.EmbedAsync(Request("openai/text-embedding-3-small", "never"), TestContext.Current.CancellationToken);

        Assert.Null(outcome.Result);
        Assert.Equal(GatewayErrorCode.ProviderUnavailable, outcome.Error!.Code);
        Assert.Equal(3, _fixture.Upstream.EmbeddingRequests.Count); // the first try and EMBED_PROVIDER_MAX_RETRIES = 2
    }

    [Fact]
    public async Task The_sdks_base64_answer_is_read_as_floats()
    {
        var outcome = await _fixture.Embeddings.EmbedAsync(Request("openai/text-embedding-3-small", "base64 please"), TestContext.Current.CancellationToken);

        Assert.Equal("base64", JsonNode.Parse(_fixture.Upstream.EmbeddingRequests.Single().Body!)!["encoding_format"]!.GetValue<string>());
        Assert.Equal(FakeProviderServer.VectorOf("base64 please", 16), outcome.Result!.Vectors[0].ToArray());
    }

    [Fact]
    public async Task The_offline_model_scores_similar_sentences_above_unrelated_ones_with_no_network()
    {
        var outcome = await _fixture.Embeddings.EmbedAsync(Request("local/all-minilm-l6-v2",
            "The cat sleeps on the warm windowsill.",
            "A kitten naps in the sunny window.",
            "Quarterly revenue rose four percent on strong exports."), TestContext.Current.CancellationToken);

        var vectors = outcome.Result!.Vectors.Select(v => v.ToArray()).ToList();
        Assert.All(vectors, v => Assert.Equal(384, v.Length));
        Assert.All(vectors, v => Assert.Equal(1f, TensorPrimitives.Norm(v), precision: 3));
        var similar = TensorPrimitives.CosineSimilarity(vectors[0], vectors[1]);
        var unrelated = TensorPrimitives.CosineSimilarity(vectors[0], vectors[2]);
        Assert.True(similar > 0.5f && unrelated < 0.2f, $"similar {similar}, unrelated {unrelated}");
        Assert.Empty(_fixture.Upstream.EmbeddingRequests);
        // Free, counted with the tokenizer (the model reports no usage).
        var row = Assert.Single(await _fixture.UsageRowsAsync(outcome.Result.TraceId, 1));
        Assert.Equal((0m, true, "local"), (row.CostUsd, row.TokensEstimated, row.Provider));
    }

    [Fact]
    public async Task Bad_input_is_refused_before_any_call()
    {
        var empty = await _fixture.Embeddings.EmbedAsync(Request("local/all-minilm-l6-v2", "fine", "  "), TestContext.Current.CancellationToken);
        var unknown = await _fixture.Embeddings.EmbedAsync(Request("openai/gpt-4o-mini", "not an embedding model"), TestContext.Current.CancellationToken);
        var dimensions = await _fixture.Embeddings.EmbedAsync(Request("local/all-minilm-l6-v2", "x") with { Dimensions = 64 }, TestContext.Current.CancellationToken);

        Assert.Equal((GatewayErrorCode.InvalidRequest, "input[1] is empty"), (empty.Error!.Code, empty.Error.Message[^"input[1] is empty".Length..]));
        Assert.Equal(GatewayErrorCode.UnknownModel, unknown.Error!.Code);
        Assert.Contains("does not take dimensions", dimensions.Error!.Message);
        Assert.Empty(_fixture.Upstream.EmbeddingRequests);
    }

    [Theory]
    [InlineData("https://api.deepinfra.com/v1/openai", true)]
    [InlineData("https://eu.deepinfra.com/v1/openai", true)]
    [InlineData("https://api.openai.com/v1", false)]
    [InlineData("https://deepinfra.com.evil.example/v1", false)]
    public void Deepinfra_is_asked_for_floats(string baseUrl, bool floats)
    {
        Assert.Equal(floats, EmbeddingCatalog.NeedsFloatEncoding(baseUrl));
    }
}
