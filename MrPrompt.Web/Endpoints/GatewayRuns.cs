using System.Text.Json;
using MrPrompt.Domain.Gateway;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Reuse;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints;

/// <summary>The gateway call an HTTP request makes, and how it asked for it to be handled.</summary>
public sealed record PreparedCall(GatewayRequest Request, CallHandling Handling);

/// <summary>
/// What differs between the HTTP ways into the gateway (<c>/v1/chat/completions</c>, <c>/api/gateway</c>):
/// the body they read, how they say no, and the frames or body an answer becomes. The steps in between
/// are <see cref="GatewayRuns"/>'s, the same for both.
/// </summary>
public abstract class GatewayDialect<TBody> where TBody : class
{
    /// <summary>A body too large, of the wrong type or not JSON.</summary>
    public abstract IResult BadBody(HttpContext context, RequestBody.Failure failure);

    /// <summary>A body that parsed but asks for something malformed; null when it is well formed.</summary>
    public virtual IResult? Invalid(HttpContext context, TBody body) => null;

    public virtual string? IdempotencyKeyIn(TBody body) => null;

    public abstract IResult BadIdempotencyKey(HttpContext context, string reason);

    /// <summary>The gateway (or a limit) refused the call before any answer.</summary>
    public abstract IResult Refused(HttpContext context, GatewayError error);

    /// <summary>The gateway call the body asks for; or, with no call, why not.</summary>
    public abstract Task<(PreparedCall? Call, IResult? Refusal)> PrepareAsync(HttpContext context, TBody body, ApiCaller caller, CancellationToken cancellationToken);

    /// <summary>A streamed answer, from the call's first event.</summary>
    public abstract Task<IResult> StreamAsync(HttpContext context, IAsyncEnumerator<GatewayEvent> events, TBody body, PreparedCall call, CallStart started);

    /// <summary>A whole answer: its one body, or the error it ended with.</summary>
    public abstract IResult Answer(HttpContext context, GatewayCompleted completed, TBody body, PreparedCall call, CallStart started);
}

/// <summary>
/// One runner for the gateway's HTTP endpoints: read the body under its cap, take the idempotency key,
/// count the request against the caller's limits, prepare the call, start it (or replay, join or serve
/// it from the cache), then stream it or answer whole, each in the endpoint's own dialect.
/// </summary>
public static class GatewayRuns
{
    public static async Task<IResult> RunAsync<TBody>(
        HttpContext context, GatewayDialect<TBody> dialect, ReusingGateway gateway, CallAdmission admission, int maxRequestBytes, JsonSerializerOptions json)
        where TBody : class
    {
        var cancellationToken = context.RequestAborted;
        var (body, failure) = await RequestBody.ReadJsonAsync<TBody>(context.Request, maxRequestBytes, json, cancellationToken);
        if (failure is not null)
        {
            return dialect.BadBody(context, failure);
        }
        if (dialect.Invalid(context, body!) is { } invalid)
        {
            return invalid;
        }
        var idempotencyKey = IdempotencyKeys.Of(context.Request, dialect.IdempotencyKeyIn(body!));
        if (IdempotencyRecord.ValidateKey(idempotencyKey) is { } badKey)
        {
            return dialect.BadIdempotencyKey(context, badKey);
        }
        var caller = ApiCaller.From(context.User);
        // Counted as it comes in, before anything is rendered or looked up: a cached, replayed or joined answer is a request too.
        if (await admission.CountRequestAsync(caller.UserId, caller.KeyId, cancellationToken) is { } limited)
        {
            return dialect.Refused(context, limited);
        }
        var (call, refused) = await dialect.PrepareAsync(context, body!, caller, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }
        call = call! with
        {
            Request = call.Request with { RequestCounted = true },
            Handling = call.Handling with { IdempotencyKey = idempotencyKey },
        };

        try
        {
            var started = await gateway.StartAsync(call.Request, call.Handling, cancellationToken);
            if (started.Refusal is { } refusal)
            {
                return dialect.Refused(context, refusal);
            }
            await using var events = started.Events!.GetAsyncEnumerator(cancellationToken);
            return call.Handling.Streamed
                ? await dialect.StreamAsync(context, events, body!, call, started)
                : await CollectAsync(context, dialect, events, body!, call, started);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Results.Empty; // the client went away; the gateway logged what was used
        }
    }

    private static async Task<IResult> CollectAsync<TBody>(
        HttpContext context, GatewayDialect<TBody> dialect, IAsyncEnumerator<GatewayEvent> events, TBody body, PreparedCall call, CallStart started)
        where TBody : class
    {
        while (await events.MoveNextAsync())
        {
            switch (events.Current)
            {
                case GatewayCompleted completed:
                    return dialect.Answer(context, completed, body, call, started);
                case GatewayFailed failed:
                    return dialect.Refused(context, failed.Error);
            }
        }
        throw new InvalidOperationException("The gateway ended a call without an outcome.");
    }
}
