using System.Text.Json;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Reuse;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints.OpenAi;

/// <summary>
/// <c>POST /v1/chat/completions</c>: an OpenAI-compatible call through the gateway, streamed as
/// <c>chat.completion.chunk</c> events or answered whole. A failure before the first token is a real
/// HTTP error status; one after it is an error event that ends the stream.
/// </summary>
internal static class ChatCompletionsEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext context, ReusingGateway gateway, CallAdmission admission, IOptions<ApiOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> jsonOptions, TimeProvider clock)
    {
        var cancellationToken = context.RequestAborted;
        var json = jsonOptions.Value.SerializerOptions;
        var (body, failure) = await RequestBody.ReadJsonAsync<ChatCompletionRequest>(context.Request, options.Value.MaxRequestBytes, json, cancellationToken);
        if (failure is not null)
        {
            var code = failure.Status switch { StatusCodes.Status413PayloadTooLarge => "request_too_large", StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type", _ => "invalid_json" };
            return OpenAiError.Of(failure.Status, failure.Message, "invalid_request_error", code).ToResult(context);
        }
        var idempotencyKey = IdempotencyKeys.Of(context.Request, null);
        if (IdempotencyRecord.ValidateKey(idempotencyKey) is { } badKey)
        {
            return OpenAiError.Of(StatusCodes.Status400BadRequest, badKey, "invalid_request_error", "invalid_idempotency_key").ToResult(context);
        }
        var traceId = TraceIds.Of(context);
        var caller = ApiCaller.From(context.User);
        // Counted as it comes in: a cached, replayed or joined answer is a request too.
        if (await admission.CountRequestAsync(caller.UserId, caller.KeyId, cancellationToken) is { } limited)
        {
            return OpenAiError.From(limited).ToResult(context);
        }
        var (request, error) = body!.ToGatewayRequest(caller, traceId);
        if (error is not null)
        {
            return error.ToResult(context);
        }
        request = request! with { RequestCounted = true };

        var answer = new AnswerIdentity($"chatcmpl-{traceId}", clock.GetUtcNow().ToUnixTimeSeconds(), request!.Model.ToString());
        try
        {
            var started = await gateway.StartAsync(request, new CallHandling(body.Streamed, idempotencyKey), cancellationToken);
            if (started.Refusal is { } refusal)
            {
                return OpenAiError.From(refusal).ToResult(context);
            }
            await using var events = started.Events!.GetAsyncEnumerator(cancellationToken);
            return body.Streamed
                ? await StreamAsync(context, events, answer, body.IncludeUsage, json)
                : await CollectAsync(context, events, answer);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Results.Empty; // the client went away; the gateway logged what was used
        }
    }

    private sealed record AnswerIdentity(string Id, long Created, string Model);

    private static async Task<IResult> CollectAsync(HttpContext context, IAsyncEnumerator<GatewayEvent> events, AnswerIdentity answer)
    {
        while (await events.MoveNextAsync())
        {
            switch (events.Current)
            {
                case GatewayCompleted completed:
                    return TypedResults.Json(ChatCompletion.Of(answer.Id, answer.Created, completed.Result));
                case GatewayFailed failed:
                    return OpenAiError.From(failed.Error).ToResult(context);
            }
        }
        throw new InvalidOperationException("The gateway ended a call without an outcome.");
    }

    private static async Task<IResult> StreamAsync(
        HttpContext context, IAsyncEnumerator<GatewayEvent> events, AnswerIdentity answer, bool includeUsage, JsonSerializerOptions json)
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
        await sse.WriteAsync(null, Chunk(answer, new ChunkDelta(Role: "assistant", Content: ""), null), cancellationToken);
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
