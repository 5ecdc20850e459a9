using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway.Embeddings;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints.OpenAi;

/// <summary><c>POST /v1/embeddings</c>'s body, OpenAI's: input is a string or an array of strings.</summary>
public sealed record EmbeddingsRequest
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("input")] public JsonElement Input { get; init; }
    [JsonPropertyName("encoding_format")] public string? EncodingFormat { get; init; }
    [JsonPropertyName("dimensions")] public int? Dimensions { get; init; }
    [JsonPropertyName("user")] public string? User { get; init; }

    /// <summary>The texts to embed, or what is wrong with <see cref="Input"/>.</summary>
    public (IReadOnlyList<string>? Inputs, string? Problem) Texts()
    {
        switch (Input.ValueKind)
        {
            case JsonValueKind.String:
                return ([Input.GetString()!], null);
            case JsonValueKind.Array:
                var texts = new List<string>();
                foreach (var item in Input.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        return (null, "input must be a string or an array of strings; token arrays are not accepted.");
                    }
                    texts.Add(item.GetString()!);
                }
                return (texts, null);
            default:
                return (null, "input is required: a string or an array of strings.");
        }
    }
}

/// <summary>
/// <c>POST /v1/embeddings</c>: OpenAI-compatible embeddings through the gateway (docs/contracts.md, "Embeddings"), so
/// the official SDKs work against it: vectors as floats or base64 (little-endian float32, what the SDKs ask for by
/// default), usage, and OpenAI's error object.
/// </summary>
internal static class EmbeddingsEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext context, EmbeddingGateway gateway, EmbeddingCatalog catalog, CallAdmission admission, IOptions<ApiOptions> api,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var (body, failure) = await RequestBody.ReadJsonAsync<EmbeddingsRequest>(context.Request, api.Value.MaxRequestBytes, json.Value.SerializerOptions, cancellationToken);
        if (failure is not null)
        {
            var code = failure.Status switch { StatusCodes.Status413PayloadTooLarge => "request_too_large", StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type", _ => "invalid_json" };
            return OpenAiError.Of(failure.Status, failure.Message, "invalid_request_error", code).ToResult(context);
        }
        var (inputs, inputProblem) = body!.Texts();
        if (inputs is null)
        {
            return OpenAiError.Invalid("input", inputProblem!).ToResult(context);
        }
        var base64 = body.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            _ => (bool?)null,
        };
        if (base64 is null)
        {
            return OpenAiError.Invalid("encoding_format", "encoding_format is float or base64.").ToResult(context);
        }
        ModelRef model;
        if (string.IsNullOrWhiteSpace(body.Model))
        {
            if (catalog.DefaultModel is not { } fallback)
            {
                return OpenAiError.Invalid("model", "model is required: an embedding model as provider/model (see GET /v1/models).").ToResult(context);
            }
            model = fallback;
        }
        else if (!ModelRef.TryParse(body.Model.Trim(), out model))
        {
            return OpenAiError.Invalid("model", $"'{body.Model}' is not provider/model; see GET /v1/models.").ToResult(context);
        }

        var caller = ApiCaller.From(context.User);
        if (await admission.CountRequestAsync(caller.UserId, caller.KeyId, cancellationToken) is { } limited)
        {
            return OpenAiError.From(limited).ToResult(context);
        }
        var outcome = await gateway.EmbedAsync(new EmbeddingRequest
        {
            UserId = caller.UserId,
            Model = model,
            Inputs = inputs,
            Dimensions = body.Dimensions,
            Source = UsageSource.Api,
            ApiKeyId = caller.KeyId,
            AllowedModels = caller.ModelLimit,
            RequestCounted = true,
        }, cancellationToken);
        if (outcome.Result is not { } result)
        {
            return OpenAiError.From(outcome.Error!).ToResult(context);
        }
        var data = result.Vectors.Select((vector, index) => new EmbeddingData("embedding", index,
            base64.Value ? Convert.ToBase64String(MemoryMarshal.AsBytes(vector.Span)) : vector.ToArray())).ToList();
        return TypedResults.Json(new EmbeddingList("list", data, result.Model.ToString(), new EmbeddingUsage(result.InputTokens, result.InputTokens)));
    }

    /// <summary>OpenAI's list shape.</summary>
    public sealed record EmbeddingList(
        [property: JsonPropertyName("object")] string Object,
        [property: JsonPropertyName("data")] IReadOnlyList<EmbeddingData> Data,
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("usage")] EmbeddingUsage Usage);

    /// <param name="Embedding">A float array, or the same floats as base64 (little-endian float32).</param>
    public sealed record EmbeddingData(
        [property: JsonPropertyName("object")] string Object,
        [property: JsonPropertyName("index")] int Index,
        [property: JsonPropertyName("embedding")] object Embedding);

    public sealed record EmbeddingUsage(
        [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
        [property: JsonPropertyName("total_tokens")] int TotalTokens);
}
