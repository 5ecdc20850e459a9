using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Gateway.Providers;

namespace MrPrompt.Infrastructure.Gateway.Embeddings;

/// <summary>An embedding model the gateway knows: its price, vector size, and whether it can return fewer dimensions.</summary>
public sealed record EmbeddingModel(ModelRef Ref, int Dimensions, bool AcceptsDimensions, ModelPrice? Price);

/// <summary>
/// The embedding models of this installation: the offline model (always, unless switched off), the seed's
/// <c>EMBEDDING_API_BASE</c>/<c>EMBEDDING_MODEL_DEFAULT</c>/<c>EMBEDDING_API_KEY</c> endpoint as provider
/// <c>embedding</c>, and the embedding models of OpenAI and Gemini, reached with the operator's or the user's own key.
/// </summary>
public sealed class EmbeddingCatalog
{
    public const string LocalProviderId = "local";
    public const string EndpointProviderId = "embedding";
    public const string LocalDisplayName = "Offline (all-MiniLM-L6-v2)";

    public static EmbeddingModel Local { get; } = new(new ModelRef(LocalProviderId, LocalEmbeddingGenerator.ModelId), LocalEmbeddingGenerator.Dimensions, false, ModelPrice.Free);

    private static readonly EmbeddingModel[] Published =
    [
        new(new ModelRef("openai", "text-embedding-3-small"), 1536, true, new ModelPrice(0.02m, 0m)),
        new(new ModelRef("openai", "text-embedding-3-large"), 3072, true, new ModelPrice(0.13m, 0m)),
        new(new ModelRef("openai", "text-embedding-ada-002"), 1536, false, new ModelPrice(0.10m, 0m)),
        new(new ModelRef("gemini", "gemini-embedding-001"), 3072, true, new ModelPrice(0.15m, 0m)),
    ];

    private readonly List<EmbeddingModel> _models = [];

    public EmbeddingCatalog(IConfiguration configuration, IOptions<EmbeddingOptions> options, ProviderCatalog providers)
    {
        if (options.Value.LocalModelEnabled)
        {
            _models.Add(Local);
        }
        if (configuration["EMBEDDING_API_BASE"] is { Length: > 0 } baseUrl)
        {
            if (CredentialRules.ValidateBaseUrl(baseUrl) is { } error)
            {
                throw new StartupException($"EMBEDDING_API_BASE {error}.");
            }
            var model = configuration["EMBEDDING_MODEL_DEFAULT"] is { Length: > 0 } configured ? configured.Trim()
                : throw new StartupException("EMBEDDING_MODEL_DEFAULT is missing; name the model EMBEDDING_API_BASE serves.");
            Endpoint = new ProviderEndpoint(EndpointProviderId, new Uri(baseUrl).Host, ProviderKind.OpenAICompatible, baseUrl.Trim(),
                configuration["EMBEDDING_API_KEY"] is { Length: > 0 } key ? key.Trim() : null);
            FloatEncoding = NeedsFloatEncoding(baseUrl) || string.Equals(configuration["EMBEDDING_ENCODING_FORMAT"], "float", StringComparison.OrdinalIgnoreCase);
            var dimensions = int.TryParse(configuration["EMBEDDING_DIMENSIONS"], out var size) && size > 0 ? size : 0;
            _models.Add(new EmbeddingModel(new ModelRef(EndpointProviderId, model), dimensions, false, null));
        }
        foreach (var published in Published.Where(p => providers.Find(p.Ref.Provider) is { SystemApiKey: not null }))
        {
            _models.Add(published);
        }
        DefaultModel = (Endpoint is not null ? _models.First(m => m.Ref.Provider == EndpointProviderId)
            : _models.FirstOrDefault())?.Ref;
    }

    /// <summary>The <c>EMBEDDING_API_BASE</c> endpoint, when configured.</summary>
    public ProviderEndpoint? Endpoint { get; }

    /// <summary>Whether calls to <see cref="Endpoint"/> ask for floats rather than the SDK's base64.</summary>
    public bool FloatEncoding { get; }

    /// <summary>The models offered to everyone (the operator's keys and the offline model).</summary>
    public IReadOnlyList<EmbeddingModel> All => _models;

    /// <summary>What new collections use: the configured endpoint, else the offline model; null when neither exists.</summary>
    public ModelRef? DefaultModel { get; }

    /// <summary>Providers whose published embedding models a user's own key reaches.</summary>
    public static IReadOnlyList<string> PublishingProviders { get; } = ["openai", "gemini"];

    public static IEnumerable<EmbeddingModel> PublishedBy(string provider) => Published.Where(p => p.Ref.Provider == provider);

    /// <summary>A model of this installation, or a published one a user may reach with their own key.</summary>
    public EmbeddingModel? Find(ModelRef model) =>
        _models.FirstOrDefault(m => m.Ref == model) ?? Published.FirstOrDefault(m => m.Ref == model);

    /// <summary>
    /// DeepInfra's OpenAI-compatible endpoint returns floats only: the request must say
    /// <c>encoding_format: "float"</c> (the SDK asks for base64 by default). Other such endpoints are named with
    /// <c>EMBEDDING_ENCODING_FORMAT=float</c>.
    /// </summary>
    public static bool NeedsFloatEncoding(string? baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri)
        && (uri.Host.Equals("api.deepinfra.com", StringComparison.OrdinalIgnoreCase) || uri.Host.EndsWith(".deepinfra.com", StringComparison.OrdinalIgnoreCase));
}
