using System.Text.Json;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Reuse;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints.GatewayApi;

/// <summary>
/// <c>POST /api/gateway</c> (docs/contracts.md, "Gateway API"): run a prompt by key with variables and options.
/// <c>complete</c> answers with one JSON body; <c>stream</c> answers with frames (docs/contracts.md, "Gateway stream frames")
/// (<c>ready</c>, <c>keepalive</c>, <c>chat.delta</c>, <c>chat.done</c>, <c>error</c>). Anything
/// refused before the call starts is a JSON error with an honest status instead of a stream.
/// </summary>
public static class GatewayApiEndpoint
{
    public static void MapGatewayApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/gateway", HandleAsync)
            .RequireAuthorization(ApiAuthorization.Policy)
            .AddEndpointFilter(CrossSiteRequests.Refuse(context =>
                GatewayApiError.Of(StatusCodes.Status403Forbidden, "cross_site_request", CrossSiteRequests.Explanation).ToResult(context)))
            .WithTags("Gateway")
            .WithName("RunPrompt")
            .WithSummary("Run a prompt by key: complete returns JSON, stream returns text/event-stream frames")
            .DescribesJsonBody<GatewayApiRequest>()
            .Produces<GatewayApiSuccess>()
            .Produces<GatewayApiError>(StatusCodes.Status400BadRequest)
            .Produces<GatewayApiError>(StatusCodes.Status404NotFound)
            .Produces<GatewayApiError>(StatusCodes.Status429TooManyRequests);

    private static Task<IResult> HandleAsync(
        HttpContext context, ReusingGateway gateway, CallAdmission admission, PromptRunner prompts, UserModelCatalog models, IOptions<ApiOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> jsonOptions) =>
        GatewayRuns.RunAsync(context, new Dialect(prompts, models, TimeSpan.FromSeconds(options.Value.KeepAliveSeconds), jsonOptions.Value.SerializerOptions),
            gateway, admission, options.Value.MaxRequestBytes, jsonOptions.Value.SerializerOptions);

    /// <summary>This API's own: <c>{success, data | error}</c> bodies and named stream frames.</summary>
    private sealed class Dialect(PromptRunner prompts, UserModelCatalog models, TimeSpan keepAlive, JsonSerializerOptions json) : GatewayDialect<GatewayApiRequest>
    {
        public override IResult BadBody(HttpContext context, RequestBody.Failure failure)
        {
            var code = failure.Status switch { StatusCodes.Status413PayloadTooLarge => "request_too_large", StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type", _ => "invalid_request" };
            return GatewayApiError.Of(failure.Status, code, failure.Message).ToResult(context);
        }

        public override IResult? Invalid(HttpContext context, GatewayApiRequest body) => body.Validate()?.ToResult(context);

        public override string? IdempotencyKeyIn(GatewayApiRequest body) => body.IdempotencyKey;

        public override IResult BadIdempotencyKey(HttpContext context, string reason) => GatewayApiError.Invalid(reason).ToResult(context);

        public override IResult Refused(HttpContext context, GatewayError error) => GatewayApiError.From(error).ToResult(context);

        public override async Task<(PreparedCall? Call, IResult? Refusal)> PrepareAsync(
            HttpContext context, GatewayApiRequest body, ApiCaller caller, CancellationToken cancellationToken)
        {
            var (call, error) = await GatewayApiEndpoint.PrepareAsync(body, caller, prompts, models, TraceIds.Of(context), cancellationToken);
            return (call, error?.ToResult(context));
        }

        public override IResult Answer(HttpContext context, GatewayCompleted completed, GatewayApiRequest body, PreparedCall call, CallStart started) =>
            TypedResults.Json(new GatewayApiSuccess(GatewayAnswer.Of(completed.Result, started.CacheKey)));

        public override Task<IResult> StreamAsync(
            HttpContext context, IAsyncEnumerator<GatewayEvent> events, GatewayApiRequest body, PreparedCall call, CallStart started) =>
            GatewayApiEndpoint.StreamAsync(context, events, keepAlive, json);
    }

    /// <summary>The prompt rendered for the caller, the gateway call it makes and how to cache it, or why not.</summary>
    private static async Task<(PreparedCall? Call, GatewayApiError? Error)> PrepareAsync(
        GatewayApiRequest body, ApiCaller caller, PromptRunner prompts, UserModelCatalog models, string traceId, CancellationToken cancellationToken)
    {
        var prepared = await prompts.PrepareAsync(caller.UserId, body.Selector, body.Variables, cancellationToken, body.Payload!.DataLoaders);
        if (prepared.Problem is { } problem)
        {
            return (null, problem.Kind == PromptProblemKind.NotFound
                ? GatewayApiError.Of(StatusCodes.Status404NotFound, "prompt_not_found", $"No prompt with the key '{body.Selector.Key}' was found among your prompts or the built-in ones.")
                : GatewayApiError.Invalid(problem.Message));
        }
        var options = body.Payload.Options;
        var model = prepared.Value!.ModelOr(options?.Model);
        if (string.IsNullOrWhiteSpace(options?.Model) && prepared.Value.Prompt.IsCodeDefined)
        {
            // A built-in prompt's model is a preference: on an installation without it, the caller's own first model runs it.
            model = await models.PreferredOrFirstAsync(caller.UserId, model, caller.MayUse, cancellationToken);
        }
        if (model is not { } chosen)
        {
            return (null, GatewayApiError.Invalid("options.model must name a model as provider/model, for example echo/echo."));
        }
        if (!caller.MayUse(chosen))
        {
            return (null, GatewayApiError.Of(StatusCodes.Status403Forbidden, "model_not_allowed", $"This API key may not use {chosen}."));
        }
        var request = prepared.Value.ToRequest(caller.UserId, chosen, UsageSource.Api, options?.Temperature, options?.MaxTokens) with
        {
            ApiKeyId = caller.KeyId,
            AllowedModels = caller.ModelLimit,
            TraceId = traceId,
        };
        // The cache key covers the variables and the loaded data as well as the prompt (docs/contracts.md, "Response cache").
        var caching = options?.CacheTtl is > 0 and var ttl
            ? new ResponseCaching(prepared.Value.Prompt.Key, TimeSpan.FromSeconds(ttl),
                new Dictionary<string, object?> { ["variables"] = body.Variables, ["data"] = prepared.Value.LoadedData })
            : null;
        return (new PreparedCall(request, new CallHandling(body.Streamed, Cache: caching)), null);
    }

    private static async Task<IResult> StreamAsync(HttpContext context, IAsyncEnumerator<GatewayEvent> events, TimeSpan keepAlive, JsonSerializerOptions json)
    {
        var cancellationToken = context.RequestAborted;
        if (!await events.MoveNextAsync())
        {
            throw new InvalidOperationException("The gateway ended a call without an outcome.");
        }
        if (events.Current is GatewayFailed refused)
        {
            return GatewayApiError.From(refused.Error).ToResult(context);
        }

        var sse = new ServerSentEventWriter(context.Response, json);
        await sse.StartAsync(cancellationToken);
        await sse.WriteAsync("ready", new GatewayFrames.Ready(TraceIds.Of(context)), cancellationToken);
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var keepingAlive = sse.KeepAliveAsync("keepalive", keepAlive, streaming.Token);
        try
        {
            do
            {
                switch (events.Current)
                {
                    case GatewayDelta delta:
                        await sse.WriteAsync("chat.delta", new GatewayFrames.Delta(delta.Text), cancellationToken);
                        break;
                    case GatewayCompleted { Result: var result }:
                        await sse.WriteAsync("chat.done", new GatewayFrames.Done(result.Text, $"{result.Provider}/{result.Model}", GatewayUsage.Of(result), result.Cached), cancellationToken);
                        return Results.Empty;
                    case GatewayFailed failed:
                        await sse.WriteAsync("error", GatewayApiError.From(failed.Error).Error, cancellationToken);
                        return Results.Empty;
                }
            }
            while (await events.MoveNextAsync());
            return Results.Empty;
        }
        finally
        {
            await streaming.CancelAsync();
            await keepingAlive;
        }
    }
}
