using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Embeddings;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints.OpenAi;

/// <summary>
/// The OpenAI-compatible surface under <c>/v1</c>, so OpenAI's SDKs and tools work against MrPrompt
/// with a <c>mrp_</c> key. Models are named <c>provider/model</c>.
/// </summary>
public static class OpenAiEndpoints
{
    public static void MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").RequireAuthorization(ApiAuthorization.Policy).WithTags("OpenAI-compatible")
            .AddEndpointFilter(CrossSiteRequests.Refuse(context =>
                OpenAiError.Of(StatusCodes.Status403Forbidden, CrossSiteRequests.Explanation, "invalid_request_error", "cross_site_request").ToResult(context)));
        v1.MapGet("/models", ListModelsAsync).WithName("ListModels").WithSummary("The models the caller can use, as provider/model");
        v1.MapPost("/chat/completions", ChatCompletionsEndpoint.HandleAsync)
            .WithName("CreateChatCompletion")
            .WithSummary("A chat answer, streamed as chat.completion.chunk events when stream is true")
            .DescribesJsonBody<ChatCompletionRequest>()
            .Produces<ChatCompletion>()
            .Produces<OpenAiError>(StatusCodes.Status400BadRequest)
            .Produces<OpenAiError>(StatusCodes.Status429TooManyRequests);
        v1.MapPost("/embeddings", EmbeddingsEndpoint.HandleAsync)
            .WithName("CreateEmbeddings")
            .WithSummary("Vectors for a string or an array of strings, as floats or base64")
            .DescribesJsonBody<EmbeddingsRequest>()
            .Produces<EmbeddingsEndpoint.EmbeddingList>()
            .Produces<OpenAiError>(StatusCodes.Status400BadRequest)
            .Produces<OpenAiError>(StatusCodes.Status429TooManyRequests);
    }

    private static async Task<Ok<ModelList>> ListModelsAsync(
        ClaimsPrincipal user, [FromServices] UserModelCatalog catalog, [FromServices] EmbeddingGateway embeddings, CancellationToken cancellationToken)
    {
        var caller = ApiCaller.From(user);
        // Chat models, then embedding models, named alike (docs/contracts.md, "Embeddings").
        var models = (await catalog.ListAsync(caller.UserId, cancellationToken)).Select(m => m.Ref)
            .Concat((await embeddings.ModelsForAsync(caller.UserId, cancellationToken)).Select(m => m.Ref))
            .Distinct()
            .Where(caller.MayUse)
            .Select(m => new ModelEntry(m.ToString(), "model", 0, m.Provider))
            .ToList();
        return TypedResults.Ok(new ModelList("list", models));
    }

    /// <summary>OpenAI's list shape: <c>{"object": "list", "data": [...]}</c>.</summary>
    public sealed record ModelList([property: JsonPropertyName("object")] string Object, [property: JsonPropertyName("data")] IReadOnlyList<ModelEntry> Data);

    public sealed record ModelEntry(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("object")] string Object,
        [property: JsonPropertyName("created")] long Created,
        [property: JsonPropertyName("owned_by")] string OwnedBy);
}
