using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Web.Authentication;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// The OpenAI-compatible surface under <c>/v1</c>, so OpenAI's SDKs and tools work against MrPrompt
/// with a <c>mrp_</c> key. Models are named <c>provider/model</c>.
/// </summary>
public static class OpenAiEndpoints
{
    public static void MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").RequireAuthorization(ApiAuthorization.Policy).WithTags("OpenAI-compatible");
        v1.MapGet("/models", ListModelsAsync).WithName("ListModels").WithSummary("The models the caller can use, as provider/model");
    }

    private static async Task<Ok<ModelList>> ListModelsAsync(ClaimsPrincipal user, [FromServices] UserModelCatalog catalog, CancellationToken cancellationToken)
    {
        var userId = UserId.Of(user) ?? throw new InvalidOperationException("An authorized request without a user id.");
        // A key limited to some models lists only those.
        var allowed = user.FindAll(ApiKeyAuthenticationHandler.AllowedModelClaim).Select(c => c.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var models = (await catalog.ListAsync(userId, cancellationToken))
            .Where(m => allowed.Count == 0 || allowed.Contains(m.Ref.ToString()))
            .Select(m => new ModelEntry(m.Ref.ToString(), "model", 0, m.Ref.Provider))
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
