using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints.ChatJobs;

/// <summary>
/// <c>/api/chat/jobs</c> (docs/contracts.md, "Chat jobs API"): ask a question and come back later. A question becomes a
/// job in the durable queue that any instance may run; its status, its answer so far and its end can be read at any
/// time, or followed as a stream. The same sign-in as <c>/v1</c>: a personal key or the browser's session.
/// </summary>
public static class ChatJobEndpoints
{
    /// <summary>How often a stream looks at a job that runs on another instance (or waits in the queue).</summary>
    private static readonly TimeSpan RemotePollInterval = TimeSpan.FromMilliseconds(250);

    public static void MapChatJobsApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/chat/jobs").RequireAuthorization(ApiAuthorization.Policy).WithTags("Chat jobs")
            .AddEndpointFilter(CrossSiteRequests.Refuse(_ => TypedResults.Problem(
                title: "Not from this site", detail: CrossSiteRequests.Explanation, statusCode: StatusCodes.Status403Forbidden)));
        jobs.MapPost("/", SubmitAsync).WithName("SubmitChatJob").WithSummary("Queue a question; 202 with the job id and its place in the queue")
            .DescribesJsonBody<ChatJobRequest>();
        jobs.MapGet("/{id:guid}", GetAsync).WithName("GetChatJob").WithSummary("A job's status and its answer (so far)");
        jobs.MapGet("/", ListAsync).WithName("ListChatJobs").WithSummary("The newest jobs of a chat (or of all chats) with figures");
        jobs.MapDelete("/{id:guid}", CancelAsync).WithName("CancelChatJob").WithSummary("Cancel a waiting or running job; what was written is kept");
        jobs.MapGet("/{id:guid}/events", EventsAsync).WithName("FollowChatJob").WithSummary("The job as text/event-stream frames: ready, chat.delta, chat.done, error, keepalive");
    }

    private static async Task<IResult> SubmitAsync(
        HttpContext context, ChatService chat, JobViews views, PromptRunner prompts, IOptions<ApiOptions> api,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var (body, failure) = await RequestBody.ReadJsonAsync<ChatJobRequest>(context.Request, api.Value.MaxRequestBytes, json.Value.SerializerOptions, cancellationToken);
        if (failure is not null)
        {
            return ApiProblems.BadBody(failure);
        }
        if (body!.Problem() is { } invalid)
        {
            return ApiProblems.Invalid(invalid);
        }
        var caller = ApiCaller.From(context.User);
        var model = body.Model;
        PromptUse? prompt = null;
        if (!string.IsNullOrWhiteSpace(body.PromptKey))
        {
            var prepared = await prompts.PrepareAsync(caller.UserId, new PromptSelector(Key: body.PromptKey.Trim()), body.VariableValues, cancellationToken);
            if (prepared.Problem is { } problem)
            {
                return problem.Kind == PromptProblemKind.NotFound
                    ? TypedResults.Problem(title: "Prompt not found", detail: $"No prompt with the key '{body.PromptKey.Trim()}' was found among your prompts or the built-in ones.", statusCode: StatusCodes.Status404NotFound)
                    : ApiProblems.Invalid(problem.Message);
            }
            // The prompt gives the chat its instructions (and its model, when none is named); the message is the question.
            prompt = new PromptUse(prepared.Value!.VersionId, prepared.Value.SystemText);
            if (string.IsNullOrWhiteSpace(model) && body.SessionId is null)
            {
                model = prepared.Value.ModelOr(null)?.ToString();
            }
        }
        var question = new QueuedQuestion(body.SessionId, body.Message!, model, prompt, body.Priority ?? 0, caller.KeyId, caller.ModelLimit, TraceIds.Of(context));
        var queued = await chat.QueueQuestionAsync(caller.UserId, question, cancellationToken);
        if (queued.Value is not { } exchange)
        {
            return ApiProblems.Of(queued.Problem!);
        }
        var place = await views.PlaceAsync(caller.UserId, exchange.JobId, cancellationToken);
        return TypedResults.Json(
            new ChatJobAccepted(exchange.JobId, exchange.SessionId, ChatJobStatus.WireName(JobStatus.Pending), place.Position, place.EstimatedDurationMs),
            statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<Results<Ok<ChatJobStatus>, ProblemHttpResult>> GetAsync(
        Guid id, HttpContext context, JobViews views, CancellationToken cancellationToken) =>
        await views.GetAsync(ApiCaller.From(context.User).UserId, id, cancellationToken) is { } view
            ? TypedResults.Ok(ChatJobStatus.Of(view))
            : NotFound();

    private static async Task<Results<Ok<ChatJobList>, ProblemHttpResult>> ListAsync(
        HttpContext context, JobViews views, [FromQuery(Name = "session_id")] Guid? sessionId, [FromQuery] int? limit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > JobViews.MaxListLength)
        {
            return ApiProblems.Invalid($"limit must be from 1 to {JobViews.MaxListLength}.");
        }
        var list = await views.ListAsync(ApiCaller.From(context.User).UserId, sessionId, limit ?? 10, cancellationToken);
        return TypedResults.Ok(new ChatJobList(list.Jobs.Select(ChatJobStatus.Of).ToList(), ChatJobStats.Of(list.Stats)));
    }

    private static async Task<Results<Ok<ChatJobStatus>, ProblemHttpResult>> CancelAsync(
        Guid id, HttpContext context, JobQueue queue, JobViews views, GenerationRunner runner, CancellationToken cancellationToken)
    {
        var userId = ApiCaller.From(context.User).UserId;
        if (await views.GetAsync(userId, id, cancellationToken) is not { } view)
        {
            return NotFound();
        }
        // Running here: stopped at once. Elsewhere or waiting: through the queue, which tells the instance running it.
        if (!runner.Stop(userId, view.MessageId) && await queue.CancelAsync(userId, id, cancellationToken) is null)
        {
            return TypedResults.Problem(title: "Already ended", detail: $"The job is {ChatJobStatus.WireName(view.Status)}; only a waiting or running job can be cancelled.",
                statusCode: StatusCodes.Status409Conflict);
        }
        // Re-read: the stop has been saved. Gone only if the chat was deleted meanwhile.
        return await views.GetAsync(userId, id, cancellationToken) is { } stopped ? TypedResults.Ok(ChatJobStatus.Of(stopped)) : NotFound();
    }

    private static async Task<IResult> EventsAsync(
        Guid id, HttpContext context, JobViews views, GenerationRunner runner, IOptions<ApiOptions> api, TimeProvider clock,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var cancellationToken = context.RequestAborted;
        var userId = ApiCaller.From(context.User).UserId;
        if (await views.GetAsync(userId, id, cancellationToken) is not { } view)
        {
            return NotFound();
        }
        var sse = new ServerSentEventWriter(context.Response, json.Value.SerializerOptions);
        await sse.StartAsync(cancellationToken);
        await sse.WriteAsync("ready", new ChatJobFrames.Ready(id, ChatJobStatus.WireName(view.Status)), cancellationToken);
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var keepingAlive = sse.KeepAliveAsync("keepalive", TimeSpan.FromSeconds(api.Value.KeepAliveSeconds), streaming.Token);
        try
        {
            var sent = 0;
            while (true)
            {
                if (runner.Find(view.MessageId) is { } live)
                {
                    sent = await FollowLiveAsync(live, sse, sent, cancellationToken);
                }
                else if (view.Status is JobStatus.Pending or JobStatus.Retrying or JobStatus.Processing)
                {
                    await Task.Delay(RemotePollInterval, clock, cancellationToken);
                }
                view = await views.GetAsync(userId, id, cancellationToken);
                if (view is null)
                {
                    await sse.WriteAsync("error", new ChatJobFrames.Error("not_found", "The job was deleted with its chat."), cancellationToken);
                    return Results.Empty;
                }
                var content = view.Result?.Content ?? "";
                if (content.Length > sent)
                {
                    await sse.WriteAsync("chat.delta", new ChatJobFrames.Delta(content[sent..]), cancellationToken);
                    sent = content.Length;
                }
                switch (view.Status)
                {
                    case JobStatus.Completed or JobStatus.Cancelled:
                        await sse.WriteAsync("chat.done", ChatJobStatus.Of(view), cancellationToken);
                        return Results.Empty;
                    case JobStatus.Failed:
                        await sse.WriteAsync("error", new ChatJobFrames.Error(view.ErrorCode ?? "failed", view.Error ?? "The job failed."), cancellationToken);
                        return Results.Empty;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Results.Empty; // the client left; the job goes on
        }
        finally
        {
            await streaming.CancelAsync();
            await keepingAlive;
        }
    }

    /// <summary>Sends the live answer's text beyond <paramref name="sent"/> characters as it grows, until it ends; returns how much was sent.</summary>
    private static async Task<int> FollowLiveAsync(LiveGeneration live, ServerSentEventWriter sse, int sent, CancellationToken cancellationToken)
    {
        var changed = new SemaphoreSlim(0);
        void OnChanged()
        {
            if (changed.CurrentCount == 0)
            {
                changed.Release();
            }
        }
        live.Changed += OnChanged;
        try
        {
            while (true)
            {
                var text = live.Text;
                if (text.Length > sent)
                {
                    await sse.WriteAsync("chat.delta", new ChatJobFrames.Delta(text[sent..]), cancellationToken);
                    sent = text.Length;
                }
                // Finished also when the run ends without an answer (it waits for a retry, or went back to the queue).
                if (live.Finished.IsCompleted)
                {
                    return sent;
                }
                await Task.WhenAny(changed.WaitAsync(cancellationToken), live.Finished).WaitAsync(cancellationToken);
            }
        }
        finally
        {
            live.Changed -= OnChanged;
        }
    }

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem(title: "Job not found", detail: "No job of yours has this id.", statusCode: StatusCodes.Status404NotFound);
}
