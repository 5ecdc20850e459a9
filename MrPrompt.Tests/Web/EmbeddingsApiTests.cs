using System.ClientModel;
using System.Net;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;
using MrPrompt.Domain.Usage;
using MrPrompt.Tests.Support;
using OpenAI.Embeddings;

namespace MrPrompt.Tests.Web;

/// <summary>The app with the seed's embedding endpoint at the fake upstream and a small embedding rate limit.</summary>
public sealed class EmbeddingsApp(PostgresServer server) : ApiGatewayApp(server)
{
    public const int EmbeddingRequestsPerMinute = 5;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["EMBEDDING_API_BASE"] = Upstream.OpenAIBaseUrl;
        settings["EMBEDDING_MODEL_DEFAULT"] = "bge-m3";
        settings["EMBEDDING_API_KEY"] = FakeProviderServer.ValidKey;
        settings["EMBED_RATE_LIMIT_PER_MIN"] = EmbeddingRequestsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary><c>POST /v1/embeddings</c> through the official OpenAI SDK and as raw HTTP.</summary>
public sealed class EmbeddingsApiTests(EmbeddingsApp app) : IClassFixture<EmbeddingsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_official_sdk_embeds_with_the_offline_model_through_the_gateway()
    {
        var (userId, key) = await app.NewApiKeyAsync();
        var client = app.Sdk(key).GetEmbeddingClient("local/all-minilm-l6-v2");

        // The SDK asks for base64 by default and decodes it itself.
        var answer = await client.GenerateEmbeddingsAsync(["How do I reset my password?", "Steps to recover a forgotten password", "Best pizza dough recipe"], cancellationToken: Ct);

        var vectors = answer.Value.Select(e => e.ToFloats().ToArray()).ToList();
        Assert.All(vectors, v => Assert.Equal(384, v.Length));
        Assert.True(TensorPrimitives.CosineSimilarity(vectors[0], vectors[1]) > TensorPrimitives.CosineSimilarity(vectors[0], vectors[2]));
        Assert.True(answer.Value.Usage.InputTokenCount > 0);
        var rows = await UsageRows.WaitForUserAsync(app.Services, userId, 1);
        Assert.Equal((UsageSource.Api, "local", "all-minilm-l6-v2", UsageStatus.Success), (rows[0].Source, rows[0].Provider, rows[0].Model, rows[0].Status));
    }

    [Fact]
    public async Task The_sdk_gets_a_providers_recorded_answer_unchanged_dimensions_included()
    {
        var recorded = ProviderFixtures.OpenAISession("MultipleEmbeddings");
        var inputs = recorded.GetProperty("RequestBody").GetProperty("input").EnumerateArray().Select(i => i.GetString()!).ToList();
        var client = app.Sdk((await app.NewApiKeyAsync()).Key).GetEmbeddingClient("openai/text-embedding-3-small");

        var answer = await client.GenerateEmbeddingsAsync(inputs, new EmbeddingGenerationOptions { Dimensions = 456 }, Ct);

        var expected = recorded.GetProperty("ResponseBody").GetProperty("data").EnumerateArray()
            .Select(d => MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(d.GetProperty("embedding").GetString()!)).ToArray()).ToList();
        Assert.Equal(expected, answer.Value.Select(e => e.ToFloats().ToArray()));
        Assert.Equal(12, answer.Value.Usage.InputTokenCount);
        Assert.Contains("\"dimensions\":456", app.Upstream.EmbeddingRequests[^1].Body);
    }

    [Fact]
    public async Task Floats_are_sent_when_asked_and_the_seed_endpoint_is_a_model_like_any_other()
    {
        var (_, key) = await app.NewApiKeyAsync();

        using var response = await app.PostJsonAsync("/v1/embeddings", key, """{"model":"embedding/bge-m3","input":"ünïcödé 東京","encoding_format":"float"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var vector = json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(FakeProviderServer.VectorOf("ünïcödé 東京", 16), vector);
        Assert.Equal("embedding/bge-m3", json.RootElement.GetProperty("model").GetString());
        var models = await app.Sdk(key).GetOpenAIModelClient().GetModelsAsync(Ct);
        Assert.Contains(models.Value, m => m.Id == "embedding/bge-m3");
        Assert.Contains(models.Value, m => m.Id == "local/all-minilm-l6-v2");
    }

    [Theory]
    [InlineData("""{"model":"local/all-minilm-l6-v2","input":5}""", "input")]
    [InlineData("""{"model":"local/all-minilm-l6-v2","input":[[1,2,3]]}""", "input")]
    [InlineData("""{"model":"local/all-minilm-l6-v2","input":"x","encoding_format":"int8"}""", "encoding_format")]
    [InlineData("""{"model":"no-slash","input":"x"}""", "model")]
    public async Task Bad_input_gets_a_400_that_names_the_field(string body, string param)
    {
        using var response = await app.PostJsonAsync("/v1/embeddings", (await app.NewApiKeyAsync()).Key, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(param, json.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task The_embedding_rate_limit_refuses_with_429_and_a_wait()
    {
        var client = app.Sdk((await app.NewApiKeyAsync()).Key).GetEmbeddingClient("local/all-minilm-l6-v2");
        for (var i = 0; i < EmbeddingsApp.EmbeddingRequestsPerMinute; i++)
        {
            await client.GenerateEmbeddingAsync($"request {i}", cancellationToken: Ct);
        }

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.GenerateEmbeddingAsync("one too many", cancellationToken: Ct));

        Assert.Equal(429, refused.Status);
        Assert.True(refused.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var wait) && int.Parse(wait!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Contains("embedding requests per minute", refused.Message);
    }
}
