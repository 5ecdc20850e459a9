using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Middleware;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Infrastructure.Gateway;

/// <inheritdoc />
public sealed partial class ChatGateway(
    GatewayTargetResolver resolver,
    ChatGatewayPipeline pipeline,
    CredentialService credentials,
    CallAdmission admission,
    IUsageSink usage,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<GatewayOptions> options,
    ILogger<ChatGateway> logger) : IChatGateway
{
    public async IAsyncEnumerable<GatewayEvent> StreamAsync(GatewayRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = clock.GetTimestamp();
        var call = GatewayCall.For(request, cancellationToken);
        var (targets, error) = await ResolveAsync(request, cancellationToken);
        if (error is not null)
        {
            Rejected(request, call, error);
            yield return new GatewayFailed(error, "", call.TraceId);
            yield break;
        }

        var (ticket, refusal) = await AdmitAsync(request, targets, cancellationToken);
        if (refusal is not null)
        {
            Rejected(request, call, refusal);
            yield return new GatewayFailed(refusal, "", call.TraceId);
            yield break;
        }
        try
        {
            yield return new GatewayStarted(call.TraceId);
            var client = pipeline.Build(targets[0], targets.Skip(1).ToList());
            var text = new StringBuilder();
            string? finishReason = null;
            string? responseId = null;
            AttemptOutcome? outcome = null;
            Exception? failure = null;
            var tooLong = false;
            await foreach (var step in client.GetStreamingResponseAsync(request.Messages, OptionsFor(request, call), cancellationToken).Guarded(cancellationToken))
            {
                if (step.Failure is not null)
                {
                    failure = step.Failure;
                    break;
                }
                var update = step.Item;
                outcome = AttemptOutcome.From(update) ?? outcome;
                finishReason = update.FinishReason?.Value ?? finishReason;
                responseId ??= update.ResponseId;
                if (update.Text is { Length: > 0 } delta)
                {
                    if (delta.Length > options.Value.MaxAnswerCharacters - text.Length)
                    {
                        // Leaving the loop disposes the stream, which stops the provider.
                        tooLong = true;
                        break;
                    }
                    text.Append(delta);
                    yield return new GatewayDelta(delta);
                }
            }

            if (tooLong)
            {
                yield return new GatewayFailed(GatewayError.AnswerTooLong(targets[0].Provider.DisplayName, options.Value.MaxAnswerCharacters), text.ToString(), call.TraceId);
                yield break;
            }
            if (failure is not null)
            {
                yield return new GatewayFailed(Explain(failure, call, targets, cancellationToken), text.ToString(), call.TraceId);
                yield break;
            }
            yield return new GatewayCompleted(Result(call, outcome, targets, text.ToString(), finishReason, responseId, started));
        }
        finally
        {
            // However the call ended (also when the reader left), what it used counts.
            await ticket!.SettleAsync(call.Spend.Total);
        }
    }

    public async Task<GatewayOutcome> CompleteAsync(GatewayRequest request, CancellationToken cancellationToken = default)
    {
        var started = clock.GetTimestamp();
        var call = GatewayCall.For(request, cancellationToken);
        var (targets, error) = await ResolveAsync(request, cancellationToken);
        if (error is not null)
        {
            Rejected(request, call, error);
            return new GatewayOutcome(null, error);
        }
        var (ticket, refusal) = await AdmitAsync(request, targets, cancellationToken);
        if (refusal is not null)
        {
            Rejected(request, call, refusal);
            return new GatewayOutcome(null, refusal);
        }
        try
        {
            var response = await pipeline.Build(targets[0], targets.Skip(1).ToList())
                .GetResponseAsync(request.Messages, OptionsFor(request, call), cancellationToken);
            if (response.Text.Length > options.Value.MaxAnswerCharacters)
            {
                return new GatewayOutcome(null, GatewayError.AnswerTooLong(targets[0].Provider.DisplayName, options.Value.MaxAnswerCharacters));
            }
            return new GatewayOutcome(Result(call, AttemptOutcome.From(response), targets, response.Text, response.FinishReason?.Value, response.ResponseId, started), null);
        }
        catch (Exception ex)
        {
            return new GatewayOutcome(null, Explain(ex, call, targets, cancellationToken));
        }
        finally
        {
            await ticket!.SettleAsync(call.Spend.Total);
        }
    }

    /// <summary>The caller's limits and budget; never throws (a check that cannot run refuses the call, in words).</summary>
    private async Task<(CallAdmission.Ticket? Ticket, GatewayError? Refusal)> AdmitAsync(
        GatewayRequest request, IReadOnlyList<GatewayTarget> targets, CancellationToken cancellationToken)
    {
        try
        {
            return await admission.AdmitAsync(request, targets, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, GatewayError.Cancelled());
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            LogResolutionFailed(logger, request.Model.ToString(), ex.GetType().Name);
            return (null, GatewayError.Unknown(request.Model.Provider));
        }
    }

    /// <summary>The requested model, then its configured fallbacks this user can reach; never throws.</summary>
    private async Task<(IReadOnlyList<GatewayTarget> Targets, GatewayError? Error)> ResolveAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await ResolveTargetsAsync(request, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ([], GatewayError.Cancelled());
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Our own database failing to tell us which key to use; the caller still gets an answer.
            LogResolutionFailed(logger, request.Model.ToString(), ex.GetType().Name);
            return ([], GatewayError.Unknown(request.Model.Provider));
        }
    }

    private async Task<(IReadOnlyList<GatewayTarget> Targets, GatewayError? Error)> ResolveTargetsAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var (primary, error) = await resolver.ResolveAsync(request.UserId, request.Model, cancellationToken);
        if (primary is null)
        {
            return ([], error);
        }
        var targets = new List<GatewayTarget> { primary };
        // A key limited to some models is limited in its fallbacks too: a fallback outside the list is skipped.
        foreach (var fallback in (primary.Provider.FindModel(primary.Model)?.Fallbacks ?? []).Where(f => request.AllowedModels?.Contains(f.ToString()) != false))
        {
            if ((await resolver.ResolveAsync(request.UserId, fallback, cancellationToken)).Target is { } reachable)
            {
                targets.Add(reachable);
            }
        }
        return (targets, null);
    }

    private ChatOptions OptionsFor(GatewayRequest request, GatewayCall call)
    {
        var chatOptions = new ChatOptions
        {
            ModelId = request.Model.Model,
            Temperature = request.Temperature,
            MaxOutputTokens = request.MaxOutputTokens is { } asked ? Math.Min(asked, options.Value.MaxOutputTokens) : null,
            ResponseFormat = request.ResponseFormat switch
            {
                GatewayResponseFormat.Json => ChatResponseFormat.Json,
                GatewayResponseFormat.JsonSchema when request.JsonSchema is { } schema => ChatResponseFormat.ForJsonSchema(schema, "response"),
                _ => null,
            },
        };
        call.AttachTo(chatOptions);
        return chatOptions;
    }

    private GatewayResult Result(GatewayCall call, AttemptOutcome? answer, IReadOnlyList<GatewayTarget> targets, string text, string? finishReason, string? responseId, long started)
    {
        var answeredBy = targets.FirstOrDefault(t => t.Provider.Id == answer?.Provider && t.Model == answer?.Model) ?? targets[0];
        if (answeredBy.CredentialId is { } credentialId)
        {
            credentials.TouchAsync(credentialId).Observe(logger, "a provider key's last use");
        }
        return new GatewayResult
        {
            Text = text,
            Provider = answeredBy.Provider.Id,
            Model = answeredBy.Model,
            InputTokens = answer?.InputTokens ?? 0,
            OutputTokens = answer?.OutputTokens ?? 0,
            TokensEstimated = answer?.TokensEstimated ?? true,
            CostUsd = answer?.CostUsd,
            FinishReason = finishReason,
            Latency = clock.GetElapsedTime(started),
            TimeToFirstToken = answer?.TimeToFirstToken,
            ResponseId = responseId,
            TraceId = call.TraceId,
        };
    }

    private GatewayError Explain(Exception failure, GatewayCall call, IReadOnlyList<GatewayTarget> targets, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return GatewayError.Cancelled();
        }
        var failedModel = FailedAttempt.ModelOf(failure);
        var failed = targets.FirstOrDefault(t => t.Ref == failedModel) ?? targets[^1];
        var judged = ProviderErrors.Classify(failure, failed.Provider.DisplayName, failed.Model);
        LogFailed(logger, call.TraceId, failed.Provider.Id, failed.Model, judged.Error.CodeName, judged.HttpStatus);
        return judged.Error;
    }

    /// <summary>A call refused before any attempt (no key, unknown model) is still a call worth logging.</summary>
    private void Rejected(GatewayRequest request, GatewayCall call, GatewayError error) =>
        usage.Record(call.UsageRow(request.Model, UsageStatus.Error, attempt: 0, AttemptMeasures.None, error.CodeName, clock.GetUtcNow()));

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not resolve {Model} for a call: {Reason}")]
    private static partial void LogResolutionFailed(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model call {TraceId} to {Provider}/{Model} failed: {ErrorCode} (HTTP {Status})")]
    private static partial void LogFailed(ILogger logger, string traceId, string provider, string model, string errorCode, int? status);
}
