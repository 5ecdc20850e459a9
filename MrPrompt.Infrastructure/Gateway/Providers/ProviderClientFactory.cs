using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Providers;
using OpenAI;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// Opens chat clients through the providers' official SDKs, with the SDKs' own retries switched off
/// (the gateway retries, once, with its own rules). Clients are reused per endpoint, key and model.
/// </summary>
public sealed class ProviderClientFactory(IOptions<GatewayOptions> options, ProviderHttp http, TimeProvider clock)
{
    public const string AnthropicDefaultBaseUrl = "https://api.anthropic.com";
    private const int DefaultAnthropicMaxOutputTokens = 4096;
    private const int CacheLimit = 2_000;

    private readonly ConcurrentDictionary<string, IChatClient> _clients = new();
    private readonly ConcurrentDictionary<string, IEmbeddingGenerator<string, Embedding<float>>> _embedders = new();

    public IChatClient CreateChatClient(ProviderEndpoint endpoint, string model)
    {
        if (endpoint.Kind == ProviderKind.Echo)
        {
            return new EchoChatClient(TimeSpan.FromMilliseconds(options.Value.EchoWordDelayMilliseconds));
        }
        if (_clients.Count > CacheLimit)
        {
            _clients.Clear();
        }
        return _clients.GetOrAdd($"{endpoint.Fingerprint}|{model}", _ => endpoint.Kind switch
        {
            ProviderKind.Anthropic => CreateAnthropic(endpoint).AsIChatClient(model, DefaultAnthropicMaxOutputTokens),
            _ => new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(KeyOrPlaceholder(endpoint)), OpenAIOptions(endpoint)).AsIChatClient(),
        });
    }

    /// <summary>
    /// An embedding generator through the OpenAI SDK (OpenAI, and every OpenAI-compatible endpoint: Gemini, DeepInfra,
    /// a local server); <paramref name="floatEncoding"/> asks for floats where an endpoint cannot send base64.
    /// </summary>
    public IEmbeddingGenerator<string, Embedding<float>> CreateEmbeddingGenerator(ProviderEndpoint endpoint, string model, bool floatEncoding = false)
    {
        if (_embedders.Count > CacheLimit)
        {
            _embedders.Clear();
        }
        return _embedders.GetOrAdd($"{endpoint.Fingerprint}|{model}|{floatEncoding}", _ =>
        {
            var openAiOptions = OpenAIOptions(endpoint);
            if (floatEncoding)
            {
                openAiOptions.AddPolicy(new FloatEncodingPolicy(), PipelinePosition.PerCall);
            }
            return new OpenAI.Embeddings.EmbeddingClient(model, new ApiKeyCredential(KeyOrPlaceholder(endpoint)), openAiOptions).AsIEmbeddingGenerator();
        });
    }

    /// <summary>The models the endpoint lists; also the cheapest call that proves a key works.</summary>
    public async Task<IReadOnlyList<string>> ListModelsAsync(ProviderEndpoint endpoint, CancellationToken cancellationToken)
    {
        switch (endpoint.Kind)
        {
            case ProviderKind.Echo:
                return [EchoChatClient.ModelId];
            case ProviderKind.Anthropic:
                var anthropic = CreateAnthropic(endpoint);
                var page = await anthropic.Models.List(new Anthropic.Models.Models.ModelListParams { Limit = 100 }, cancellationToken);
                return page.Items.Select(m => m.ID).ToList();
            default:
                var client = new OpenAI.Models.OpenAIModelClient(new ApiKeyCredential(KeyOrPlaceholder(endpoint)), OpenAIOptions(endpoint));
                var models = await client.GetModelsAsync(cancellationToken);
                return models.Value.Select(m => m.Id).ToList();
        }
    }

    private OpenAIClientOptions OpenAIOptions(ProviderEndpoint endpoint)
    {
        var openAiOptions = new OpenAIClientOptions
        {
            NetworkTimeout = TimeSpan.FromSeconds(options.Value.RequestTimeoutSeconds),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            Transport = new HttpClientPipelineTransport(http.Shared(endpoint)),
        };
        if (endpoint.BaseUrl is { } baseUrl)
        {
            openAiOptions.Endpoint = new Uri(baseUrl);
        }
        return openAiOptions;
    }

    private AnthropicClient CreateAnthropic(ProviderEndpoint endpoint) => new(new Anthropic.Core.ClientOptions
    {
        ApiKey = endpoint.ApiKey ?? "",
        // Always explicit: otherwise the SDK reads ANTHROPIC_BASE_URL from the environment.
        BaseUrl = endpoint.BaseUrl ?? AnthropicDefaultBaseUrl,
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(options.Value.RequestTimeoutSeconds),
        OpenTelemetry = false,
        HttpClient = http.With(endpoint, new RetryAfterHandler(clock), TimeSpan.FromSeconds(options.Value.RequestTimeoutSeconds)),
    });

    // Local OpenAI-compatible servers (Ollama, vLLM) take no key, but the SDK insists on one.
    private static string KeyOrPlaceholder(ProviderEndpoint endpoint) =>
        string.IsNullOrEmpty(endpoint.ApiKey) ? "no-key" : endpoint.ApiKey;

    /// <summary>Rewrites the SDK's <c>encoding_format: "base64"</c> to <c>"float"</c>; the SDK reads either answer.</summary>
    private sealed class FloatEncodingPolicy : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            Rewrite(message);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            Rewrite(message);
            await ProcessNextAsync(message, pipeline, currentIndex);
        }

        private static void Rewrite(PipelineMessage message)
        {
            if (message.Request.Content is not { } content)
            {
                return;
            }
            using var buffer = new MemoryStream();
            content.WriteTo(buffer);
            if (System.Text.Json.Nodes.JsonNode.Parse(buffer.ToArray()) is System.Text.Json.Nodes.JsonObject body)
            {
                body["encoding_format"] = "float";
                message.Request.Content = BinaryContent.Create(BinaryData.FromString(body.ToJsonString()));
            }
        }
    }
}
