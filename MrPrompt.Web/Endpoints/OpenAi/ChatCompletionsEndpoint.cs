using System.Text.Json;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Reuse;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints.OpenAi;

/// <summary>
/// <c>POST /v1/chat/completions</c>: an OpenAI-compatible call through the gateway, streamed as
/// <c>chat.completion.chunk</c> events or answered whole. A failure before the first token is a real
/// HTTP error status; one after it is an error event that ends the stream.
/// </summary>
internal static class ChatCompletionsEndpoint
{
    public static Task<IResult> HandleAsync(
        HttpContext context, ReusingGateway gateway, CallAdmission admission, KnowledgeSearch knowledge, IOptions<KnowledgeOptions> knowledgeOptions,
        IOptions<ApiOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> jsonOptions, TimeProvider clock) =>
        GatewayRuns.RunAsync(context, new Dialect(clock, jsonOptions.Value.SerializerOptions, knowledge, knowledgeOptions.Value.PassagesPerAnswer), gateway, admission,
            options.Value.MaxRequestBytes, jsonOptions.Value.SerializerOptions);

    /// <summary>OpenAI's: its error object, <c>chat.completion</c> and <c>chat.completion.chunk</c>.</summary>
    private sealed class Dialect(TimeProvider clock, JsonSerializerOptions json, KnowledgeSearch knowledge, int passages) : GatewayDialect<ChatCompletionRequest>
    {
        private long created; // one dialect per request: the time this request was prepared
        private IReadOnlyList<CitationWire>? citations;

        public override IResult BadBody(HttpContext context, RequestBody.Failure failure)
        {
            var code = failure.Status switch { StatusCodes.Status413PayloadTooLarge => "request_too_large", StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type", _ => "invalid_json" };
            return OpenAiError.Of(failure.Status, failure.Message, "invalid_request_error", code).ToResult(context);
        }

        public override IResult BadIdempotencyKey(HttpContext context, string reason) =>
            OpenAiError.Of(StatusCodes.Status400BadRequest, reason, "invalid_request_error", "invalid_idempotency_key").ToResult(context);

        public override IResult Refused(HttpContext context, GatewayError error) => OpenAiError.From(error).ToResult(context);

        public override async Task<(PreparedCall? Call, IResult? Refusal)> PrepareAsync(
            HttpContext context, ChatCompletionRequest body, ApiCaller caller, CancellationToken cancellationToken)
        {
            created = clock.GetUtcNow().ToUnixTimeSeconds(); // when it was asked, as OpenAI stamps it
            var (request, error) = body.ToGatewayRequest(caller, TraceIds.Of(context));
            if (error is not null)
            {
                return (null, error.ToResult(context));
            }
            if (body.Knowledge is { Count: > 0 } collections)
            {
                var (withSources, refusal) = await WithSourcesAsync(request!, collections, caller, cancellationToken);
                if (refusal is not null)
                {
                    return (null, refusal.ToResult(context));
                }
                request = withSources;
            }
            return (new PreparedCall(request!, new CallHandling(body.Streamed)), null);
        }

        /// <summary>The request with the passages its last question finds in <paramref name="collections"/>, after its system message.</summary>
        private async Task<(GatewayRequest? Request, OpenAiError? Refusal)> WithSourcesAsync(
            GatewayRequest request, IReadOnlyList<Guid> collections, ApiCaller caller, CancellationToken cancellationToken)
        {
            var question = request.Messages.LastOrDefault(m => m.Role == Microsoft.Extensions.AI.ChatRole.User)?.Text;
            if (string.IsNullOrWhiteSpace(question))
            {
                return (null, OpenAiError.Invalid("knowledge", "knowledge needs a user message to search with."));
            }
            var (result, problem) = await knowledge.SearchAsync(new SearchRequest(caller.UserId, collections, KnowledgeSearch.QueryOf(question), passages)
            {
                Source = MrPrompt.Domain.Usage.UsageSource.Api,
                ApiKeyId = caller.KeyId,
                AllowedModels = caller.ModelLimit,
            }, cancellationToken);
            if (result is null)
            {
                return (null, OpenAiError.Of(problem!.Problem == KnowledgeProblem.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest,
                    problem.Message, "invalid_request_error", problem.Problem == KnowledgeProblem.NotFound ? "knowledge_not_found" : "invalid_value", "knowledge"));
            }
            var sources = KnowledgeSearch.Citations(result);
            citations = sources.Select(CitationWire.Of).ToList();
            var messages = request.Messages.ToList();
            if (messages.Count > 0 && messages[0].Role == Microsoft.Extensions.AI.ChatRole.System)
            {
                messages[0] = new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.System, CitationPrompt.SystemText(messages[0].Text, sources));
            }
            else if (sources.Count > 0)
            {
                messages.Insert(0, new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.System, CitationPrompt.Instructions(sources)));
            }
            return (request with { Messages = messages }, null);
        }

        public override IResult Answer(HttpContext context, GatewayCompleted completed, ChatCompletionRequest body, PreparedCall call, CallStart started)
        {
            var answer = Identity(context, call);
            return TypedResults.Json(ChatCompletion.Of(answer.Id, answer.Created, completed.Result) with { Citations = citations });
        }

        public override Task<IResult> StreamAsync(
            HttpContext context, IAsyncEnumerator<GatewayEvent> events, ChatCompletionRequest body, PreparedCall call, CallStart started) =>
            ChatCompletionsEndpoint.StreamAsync(context, events, Identity(context, call), body.IncludeUsage, json, citations);

        private AnswerIdentity Identity(HttpContext context, PreparedCall call) =>
            new($"chatcmpl-{TraceIds.Of(context)}", created, call.Request.Model.ToString());
    }

    private sealed record AnswerIdentity(string Id, long Created, string Model);

    private static async Task<IResult> StreamAsync(
        HttpContext context, IAsyncEnumerator<GatewayEvent> events, AnswerIdentity answer, bool includeUsage, JsonSerializerOptions json,
        IReadOnlyList<CitationWire>? citations)
    {
        var cancellationToken = context.RequestAborted;
        // Wait for the first token (or failure) before committing to 200, so an upstream error is still a status.
        do
        {
            if (!await events.MoveNextAsync())
            {
                throw new InvalidOperationException("The gateway ended a call without an outcome.");
            }
        }
        while (events.Current is GatewayStarted);
        if (events.Current is GatewayFailed early)
        {
            return OpenAiError.From(early.Error).ToResult(context);
        }

        var sse = new ServerSentEventWriter(context.Response, json);
        await sse.StartAsync(cancellationToken);
        await sse.WriteAsync(null, Chunk(answer, new ChunkDelta(Role: "assistant", Content: ""), null) with { Citations = citations }, cancellationToken);
        do
        {
            switch (events.Current)
            {
                case GatewayDelta delta:
                    await sse.WriteAsync(null, Chunk(answer, new ChunkDelta(Content: delta.Text), null), cancellationToken);
                    break;
                case GatewayCompleted completed:
                    await sse.WriteAsync(null, Chunk(answer, new ChunkDelta(), ChatCompletion.FinishReasonOf(completed.Result)), cancellationToken);
                    if (includeUsage)
                    {
                        var usage = new ChatCompletionChunk(answer.Id, ChatCompletionChunk.ObjectName, answer.Created, answer.Model, [], CompletionUsage.Of(completed.Result));
                        await sse.WriteAsync(null, usage, cancellationToken);
                    }
                    await sse.WriteRawAsync(null, "[DONE]", cancellationToken);
                    return Results.Empty;
                case GatewayFailed failed:
                    // Mid-stream the status is already sent; OpenAI's clients read an error object in the stream.
                    await sse.WriteAsync(null, OpenAiError.From(failed.Error), cancellationToken);
                    return Results.Empty;
            }
        }
        while (await events.MoveNextAsync());
        return Results.Empty;
    }

    private static ChatCompletionChunk Chunk(AnswerIdentity answer, ChunkDelta delta, string? finishReason) =>
        new(answer.Id, ChatCompletionChunk.ObjectName, answer.Created, answer.Model, [new ChunkChoice(0, delta, finishReason)]);
}
