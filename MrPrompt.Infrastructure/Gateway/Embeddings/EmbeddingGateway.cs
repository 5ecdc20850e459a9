using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Middleware;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Infrastructure.Gateway.Embeddings;

/// <summary>One embedding call: who asks, with which model, for which texts.</summary>
public sealed record EmbeddingRequest
{
    public required Guid UserId { get; init; }
    public required ModelRef Model { get; init; }
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>Fewer dimensions than the model's own, where the model can (OpenAI's text-embedding-3).</summary>
    public int? Dimensions { get; init; }

    public UsageSource Source { get; init; } = UsageSource.Ui;
    public Guid? ApiKeyId { get; init; }
    public Guid? JobId { get; init; }

    /// <summary>The models an API key limits the call to; null when any may answer.</summary>
    public IReadOnlySet<string>? AllowedModels { get; init; }

    /// <summary>The HTTP API already counted the request in the per-minute limits.</summary>
    public bool RequestCounted { get; init; }
}

/// <summary>The vectors, in input order, and what they cost.</summary>
public sealed record EmbeddingResult(IReadOnlyList<ReadOnlyMemory<float>> Vectors, ModelRef Model, int InputTokens, decimal? CostUsd, TimeSpan Latency, string TraceId);

public sealed record EmbeddingOutcome(EmbeddingResult? Result, GatewayError? Error);

/// <summary>
/// The one entry point for embeddings, with chat's promises: the caller's limits (<c>EMBED_RATE_LIMIT_PER_MIN</c>,
/// open calls, monthly budget), their own key or the operator's, and a pipeline of delegating generators, outermost
/// first: batches of <c>EMBED_MAX_BATCH</c> → retry (<c>EMBED_PROVIDER_MAX_RETRIES</c>) → usage row per attempt →
/// circuit breaker → the provider's SDK (or the offline model). Never throws for a provider's failure: the outcome
/// says what went wrong in words.
/// </summary>
public sealed partial class EmbeddingGateway(
    EmbeddingCatalog catalog,
    LocalEmbeddingGenerator local,
    GatewayTargetResolver resolver,
    ProviderClientFactory clients,
    CircuitBreakerRegistry breakers,
    CallAdmission admission,
    CallRateLimits rates,
    IUsageSink usage,
    ITokenCounter tokens,
    IOptions<EmbeddingOptions> options,
    IOptions<GatewayOptions> gatewayOptions,
    TimeProvider clock,
    ILogger<EmbeddingGateway> logger)
{
    public async Task<EmbeddingOutcome> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        if (Validate(request, settings) is { } invalid)
        {
            return new EmbeddingOutcome(null, invalid);
        }
        // EMBED_RATE_LIMIT_PER_MIN is for requests people and programs send; an ingestion's batches are one job's work.
        if (request.Source is not (UsageSource.Background or UsageSource.Job) && await rates.TryStartEmbeddingAsync(request.UserId, settings.RequestsPerMinute, cancellationToken) is { } wait)
        {
            return new EmbeddingOutcome(null, GatewayError.UsageLimited($"your limit of {settings.RequestsPerMinute} embedding requests per minute", wait));
        }
        var started = clock.GetTimestamp();
        var gatewayRequest = new GatewayRequest
        {
            UserId = request.UserId,
            Model = request.Model,
            // What the budget reserves for: the inputs, read as one message; an embedding has no output.
            Messages = [new ChatMessage(ChatRole.User, string.Join('\n', request.Inputs))],
            MaxOutputTokens = 0,
            Source = request.Source,
            ApiKeyId = request.ApiKeyId,
            JobId = request.JobId,
            RequestCounted = true,
        };
        var call = GatewayCall.For(gatewayRequest, cancellationToken);
        var (target, error) = await ResolveAsync(request, cancellationToken);
        if (target is null)
        {
            usage.Record(call.UsageRow(request.Model, UsageStatus.Error, 0, AttemptMeasures.None, error!.CodeName, clock.GetUtcNow()));
            return new EmbeddingOutcome(null, error);
        }
        var (ticket, refusal) = await admission.AdmitAsync(gatewayRequest, [target.Gateway], cancellationToken);
        if (refusal is not null)
        {
            usage.Record(call.UsageRow(request.Model, UsageStatus.Error, 0, AttemptMeasures.None, refusal.CodeName, clock.GetUtcNow()));
            return new EmbeddingOutcome(null, refusal);
        }
        try
        {
            var generatorOptions = new EmbeddingGenerationOptions { ModelId = request.Model.Model, Dimensions = request.Dimensions };
            call.AttachTo(generatorOptions);
            var generated = await Pipeline(target).GenerateAsync(request.Inputs, generatorOptions, cancellationToken);
            if (generated.Count != request.Inputs.Count)
            {
                return new EmbeddingOutcome(null, GatewayError.InvalidRequest(target.DisplayName, $"it returned {generated.Count} vectors for {request.Inputs.Count} inputs"));
            }
            var (spentTokens, cost, _) = call.Spend.Total;
            return new EmbeddingOutcome(new EmbeddingResult(generated.Select(e => e.Vector).ToList(), request.Model, (int)spentTokens,
                target.Model.Price is null ? null : cost, clock.GetElapsedTime(started), call.TraceId), null);
        }
        catch (Exception ex)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return new EmbeddingOutcome(null, GatewayError.Cancelled());
            }
            var judged = ProviderErrors.Classify(ex, target.DisplayName, request.Model.Model);
            LogFailed(logger, call.TraceId, request.Model.ToString(), judged.Error.CodeName, judged.HttpStatus);
            return new EmbeddingOutcome(null, judged.Error);
        }
        finally
        {
            await ticket!.SettleAsync(call.Spend.Total);
        }
    }

    /// <summary>The models a user can embed with: the installation's, and the published ones of providers they hold a key for.</summary>
    public async Task<IReadOnlyList<EmbeddingModel>> ModelsForAsync(Guid userId, CancellationToken cancellationToken)
    {
        var models = catalog.All.ToList();
        foreach (var provider in EmbeddingCatalog.PublishingProviders.Where(p => models.All(m => m.Ref.Provider != p)))
        {
            if ((await resolver.ResolveAsync(userId, new ModelRef(provider, "any"), cancellationToken, offeredOnly: false)).Target is not null)
            {
                models.AddRange(EmbeddingCatalog.PublishedBy(provider));
            }
        }
        return models;
    }

    private GatewayError? Validate(EmbeddingRequest request, EmbeddingOptions settings)
    {
        var provider = request.Model.Provider;
        if (request.Inputs.Count == 0)
        {
            return GatewayError.InvalidRequest(provider, "input is empty; send a string or an array of strings");
        }
        if (request.Inputs.Count > settings.MaxInputs)
        {
            return GatewayError.InvalidRequest(provider, $"input has {request.Inputs.Count} items; at most {settings.MaxInputs} per request");
        }
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(request.Inputs[i]))
            {
                return GatewayError.InvalidRequest(provider, $"input[{i}] is empty");
            }
            if (request.Inputs[i].Length > settings.MaxInputCharacters)
            {
                return GatewayError.InvalidRequest(provider, $"input[{i}] has {request.Inputs[i].Length} characters; at most {settings.MaxInputCharacters}");
            }
        }
        if (request.Dimensions is { } dimensions && (dimensions < 1 || catalog.Find(request.Model) is { AcceptsDimensions: false }))
        {
            return GatewayError.InvalidRequest(provider, dimensions < 1 ? "dimensions must be a positive number" : $"{request.Model} does not take dimensions");
        }
        if (request.AllowedModels is { } allowed && !allowed.Contains(request.Model.ToString()))
        {
            return GatewayError.UnknownModel(request.Model.ToString());
        }
        return null;
    }

    private sealed record EmbeddingTarget(GatewayTarget Gateway, EmbeddingModel Model, bool FloatEncoding, bool IsLocal)
    {
        public string DisplayName => Gateway.Provider.DisplayName;
    }

    private async Task<(EmbeddingTarget? Target, GatewayError? Error)> ResolveAsync(EmbeddingRequest request, CancellationToken cancellationToken)
    {
        var model = request.Model;
        var known = catalog.Find(model);
        if (model.Provider == EmbeddingCatalog.LocalProviderId)
        {
            return known is null ? (null, GatewayError.UnknownModel(model.ToString()))
                : (new EmbeddingTarget(Target(model, EmbeddingCatalog.LocalDisplayName, null, ModelPrice.Free), known, false, true), null);
        }
        if (model.Provider == EmbeddingCatalog.EndpointProviderId)
        {
            return known is null || catalog.Endpoint is not { } endpoint ? (null, GatewayError.UnknownModel(model.ToString()))
                : (new EmbeddingTarget(Target(model, endpoint.DisplayName, endpoint, null), known, catalog.FloatEncoding, false), null);
        }
        try
        {
            var (target, error) = await resolver.ResolveAsync(request.UserId, model, cancellationToken, offeredOnly: false);
            if (target is null)
            {
                return (null, error);
            }
            // The operator's key pays only for the embedding models listed here; a person's own key may ask for any.
            if (target.CredentialId is null && known is null || target.Provider.Kind is ProviderKind.Anthropic or ProviderKind.Echo)
            {
                return (null, GatewayError.UnknownModel(model.ToString()));
            }
            var price = target.Provider.FindModel(model.Model)?.Price ?? known?.Price;
            var description = known ?? new EmbeddingModel(model, 0, false, price);
            return (new EmbeddingTarget(target with { Provider = target.Provider with { Models = [new ModelDefinition(model.Model) { Price = price }] } },
                description, EmbeddingCatalog.NeedsFloatEncoding(target.Endpoint.BaseUrl), false), null);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            LogResolutionFailed(logger, model.ToString(), ex.GetType().Name);
            return (null, GatewayError.Unknown(model.Provider));
        }
    }

    private static GatewayTarget Target(ModelRef model, string displayName, ProviderEndpoint? endpoint, ModelPrice? price)
    {
        var provider = new ProviderDefinition
        {
            Id = model.Provider,
            DisplayName = displayName,
            Kind = endpoint?.Kind ?? ProviderKind.Echo,
            BaseUrl = endpoint?.BaseUrl,
            Models = [new ModelDefinition(model.Model) { Price = price }],
        };
        return new GatewayTarget(provider, endpoint ?? new ProviderEndpoint(model.Provider, displayName, ProviderKind.Echo, null, null), model.Model, null);
    }

    private IEmbeddingGenerator<string, Embedding<float>> Pipeline(EmbeddingTarget target)
    {
        var settings = options.Value;
        var gateway = target.Gateway;
        var provider = gateway.Provider.Id;
        IEmbeddingGenerator<string, Embedding<float>> sdk = target.IsLocal
            ? local
            : clients.CreateEmbeddingGenerator(gateway.Endpoint, gateway.Model, target.FloatEncoding);
        IEmbeddingGenerator<string, Embedding<float>> pipeline = new UsageLoggingEmbeddingGenerator(
            target.IsLocal ? sdk : new CircuitBreakerEmbeddingGenerator(sdk, breakers.For(gateway.Endpoint), target.DisplayName, gateway.Model),
            provider, gateway.Model, gateway.Price, usage, tokens, clock);
        pipeline = new RetryEmbeddingGenerator(pipeline, target.DisplayName, gateway.Model, target.IsLocal ? 0 : settings.MaxRetries, gatewayOptions.Value.Backoff, clock);
        return new BatchingEmbeddingGenerator(pipeline, settings.MaxBatch);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not resolve {Model} for an embedding call: {Reason}")]
    private static partial void LogResolutionFailed(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embedding call {TraceId} to {Model} failed: {ErrorCode} (HTTP {Status})")]
    private static partial void LogFailed(ILogger logger, string traceId, string model, string errorCode, int? status);
}
