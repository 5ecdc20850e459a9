using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints.Knowledge;

/// <summary>
/// <c>/api/knowledge</c> (docs/contracts.md, "Knowledge API"): collections, their documents (an upload, or pasted
/// text) ingested as jobs, the ingestion's progress as a stream, and hybrid search. The same sign-in as <c>/v1</c>.
/// </summary>
public static class KnowledgeEndpoints
{
    public static void MapKnowledgeApi(this IEndpointRouteBuilder app)
    {
        var knowledge = app.MapGroup("/api/knowledge").RequireAuthorization(ApiAuthorization.Policy).WithTags("Knowledge")
            .AddEndpointFilter(CrossSiteRequests.Refuse(_ => TypedResults.Problem(
                title: "Not from this site", detail: CrossSiteRequests.Explanation, statusCode: StatusCodes.Status403Forbidden)));
        knowledge.MapPost("/", CreateAsync).WithName("CreateCollection").WithSummary("A new collection; 201 with its id").DescribesJsonBody<CollectionRequest>();
        knowledge.MapGet("/", ListAsync).WithName("ListCollections").WithSummary("Your collections and the shared ones");
        knowledge.MapGet("/{id:guid}", GetAsync).WithName("GetCollection");
        knowledge.MapPatch("/{id:guid}", ChangeAsync).WithName("ChangeCollection").WithSummary("Another embedding model: every document is embedded again, as jobs")
            .DescribesJsonBody<CollectionChange>();
        knowledge.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteCollection");
        knowledge.MapPost("/{id:guid}/documents", AddDocumentAsync).WithName("AddDocument")
            .WithSummary("Multipart field 'file' (.txt .md .html .pdf .docx), or JSON {title, text}; 202 with the ingestion job");
        knowledge.MapGet("/{id:guid}/documents", ListDocumentsAsync).WithName("ListDocuments").WithSummary("Each document's status and progress");
        knowledge.MapGet("/{id:guid}/documents/{documentId:guid}", GetDocumentAsync).WithName("GetDocument");
        knowledge.MapDelete("/{id:guid}/documents/{documentId:guid}", DeleteDocumentAsync).WithName("DeleteDocument");
        knowledge.MapPost("/{id:guid}/documents/{documentId:guid}/reingest", ReingestAsync).WithName("ReingestDocument")
            .WithSummary("Ingest a document again (a new job); its passages are replaced, never duplicated");
        knowledge.MapGet("/{id:guid}/documents/{documentId:guid}/events", EventsAsync).WithName("FollowIngestion")
            .WithSummary("Ingestion as text/event-stream frames: ready, embed.status {done, total}, embed.done, error, keepalive");
        knowledge.MapPost("/{id:guid}/search", SearchAsync).WithName("SearchCollection").WithSummary("Hybrid search: vectors and full text, fused by rank")
            .DescribesJsonBody<SearchRequestBody>();
    }

    private static async Task<IResult> CreateAsync(HttpContext context, KnowledgeService knowledge, IOptions<ApiOptions> api,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var (body, failure) = await RequestBody.ReadJsonAsync<CollectionRequest>(context.Request, api.Value.MaxRequestBytes, json.Value.SerializerOptions, cancellationToken);
        if (failure is not null)
        {
            return ApiProblems.BadBody(failure);
        }
        KnowledgeVisibility visibility;
        switch (body!.Visibility?.Trim().ToLowerInvariant())
        {
            case null or "" or "private":
                visibility = KnowledgeVisibility.Private;
                break;
            case "shared":
                visibility = KnowledgeVisibility.Shared;
                break;
            default:
                return ApiProblems.Invalid("visibility is private or shared.");
        }
        var user = context.User;
        var caller = ApiCaller.From(user);
        if (caller.ModelLimit is not null && (body.EmbeddingModel is null || !caller.ModelLimit.Contains(body.EmbeddingModel.Trim())))
        {
            // A key limited to some models names one of them: a collection ingests with its model on the owner's account.
            return KeyMayNotUse(body.EmbeddingModel ?? "the default embedding model");
        }
        var (collection, error) = await knowledge.CreateCollectionAsync(caller.UserId, body.Name, visibility,
            mayShare: user.IsInRole(AppRoles.Author) || user.IsInRole(AppRoles.Admin), body.EmbeddingModel, cancellationToken);
        return collection is null ? Problem(error!) : TypedResults.Created($"/api/knowledge/{collection.Id}", CollectionWire.Of(collection));
    }

    private static async Task<Ok<CollectionListWire>> ListAsync(HttpContext context, KnowledgeService knowledge, CancellationToken cancellationToken) =>
        TypedResults.Ok(new CollectionListWire((await knowledge.ListCollectionsAsync(ApiCaller.From(context.User).UserId, cancellationToken)).Select(CollectionWire.Of).ToList()));

    private static async Task<IResult> GetAsync(Guid id, HttpContext context, KnowledgeService knowledge, CancellationToken cancellationToken) =>
        await knowledge.FindCollectionAsync(ApiCaller.From(context.User).UserId, id, cancellationToken) is { } collection
            ? TypedResults.Ok(CollectionWire.Of(collection))
            : CollectionNotFound();

    private static async Task<IResult> ChangeAsync(Guid id, HttpContext context, KnowledgeService knowledge, IOptions<ApiOptions> api,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var (body, failure) = await RequestBody.ReadJsonAsync<CollectionChange>(context.Request, api.Value.MaxRequestBytes, json.Value.SerializerOptions, cancellationToken);
        if (failure is not null)
        {
            return ApiProblems.BadBody(failure);
        }
        if (string.IsNullOrWhiteSpace(body!.EmbeddingModel))
        {
            return ApiProblems.Invalid("embedding_model is required.");
        }
        var caller = ApiCaller.From(context.User);
        var userId = caller.UserId;
        if (caller.ModelLimit is { } allowed && !allowed.Contains(body.EmbeddingModel.Trim()))
        {
            return KeyMayNotUse(body.EmbeddingModel);
        }
        if (await knowledge.ChangeModelAsync(userId, id, body.EmbeddingModel, cancellationToken) is { } error)
        {
            return Problem(error);
        }
        return TypedResults.Json(CollectionWire.Of((await knowledge.FindCollectionAsync(userId, id, cancellationToken))!), statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> DeleteAsync(Guid id, HttpContext context, KnowledgeService knowledge, CancellationToken cancellationToken) =>
        await knowledge.DeleteCollectionAsync(ApiCaller.From(context.User).UserId, id, cancellationToken) is { } error ? Problem(error) : TypedResults.NoContent();

    private static async Task<IResult> AddDocumentAsync(Guid id, HttpContext context, KnowledgeService knowledge, IOptions<KnowledgeOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxDocumentBytes;
        var (upload, problem) = context.Request.HasFormContentType
            ? await ReadUploadAsync(context.Request, limit, cancellationToken)
            : await ReadPastedAsync(context.Request, limit, json.Value, cancellationToken);
        if (upload is null)
        {
            return problem!;
        }
        var caller = ApiCaller.From(context.User);
        if (await ModelRefusedAsync(caller, knowledge, id, cancellationToken) is { } refused)
        {
            return refused;
        }
        var (document, error) = await knowledge.AddDocumentAsync(caller.UserId, id, upload, cancellationToken);
        return document is null ? Problem(error!)
            : TypedResults.Json(new DocumentAccepted(document.Id, document.JobId!.Value, DocumentWire.StatusName(document.Status)), statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<(NewDocument?, IResult?)> ReadUploadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit + UploadOverhead)
        {
            return (null, TooLarge(request.ContentLength.Value, limit));
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = limit + UploadOverhead }, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            return (null, ApiProblems.Invalid($"The upload could not be read: {ex.Message}"));
        }
        if (form.Files.GetFile("file") is not { } file)
        {
            return (null, ApiProblems.Invalid("Send the document in the multipart field 'file'."));
        }
        if (KnowledgeRules.FormatOf(file.FileName) is not { } format)
        {
            return (null, TypedResults.Problem(title: "Unsupported type", detail: KnowledgeRules.UnsupportedType(file.FileName), statusCode: StatusCodes.Status415UnsupportedMediaType));
        }
        if (file.Length > limit)
        {
            return (null, TooLarge(file.Length, limit));
        }
        var content = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(content, cancellationToken);
        }
        var title = form["title"].FirstOrDefault() is { Length: > 0 } given ? given : Path.GetFileNameWithoutExtension(file.FileName);
        return (new NewDocument(title, file.FileName, format, content), null);
    }

    private static async Task<(NewDocument?, IResult?)> ReadPastedAsync(HttpRequest request, int limit, Microsoft.AspNetCore.Http.Json.JsonOptions json, CancellationToken cancellationToken)
    {
        var (body, failure) = await RequestBody.ReadJsonAsync<TextDocumentRequest>(request, limit + UploadOverhead, json.SerializerOptions, cancellationToken);
        if (failure is not null)
        {
            return (null, ApiProblems.BadBody(failure));
        }
        if (string.IsNullOrWhiteSpace(body!.Text))
        {
            return (null, ApiProblems.Invalid("text is required (or upload a file as multipart field 'file')."));
        }
        var content = Encoding.UTF8.GetBytes(body.Text);
        if (content.Length > limit)
        {
            return (null, TooLarge(content.Length, limit));
        }
        return (new NewDocument(body.Title ?? "", null, DocumentType.Markdown, content), null);
    }

    /// <summary>Room for a multipart body's boundaries and headers, or a JSON body's quoting, above the document itself.</summary>
    internal const int UploadOverhead = 256 * 1024;

    private static async Task<IResult> ListDocumentsAsync(Guid id, HttpContext context, KnowledgeService knowledge, CancellationToken cancellationToken) =>
        await knowledge.ListDocumentsAsync(ApiCaller.From(context.User).UserId, id, cancellationToken) is { } documents
            ? TypedResults.Ok(new DocumentListWire(documents.Select(DocumentWire.Of).ToList()))
            : CollectionNotFound();

    private static async Task<IResult> GetDocumentAsync(Guid id, Guid documentId, HttpContext context, KnowledgeService knowledge, CancellationToken cancellationToken) =>
        await knowledge.FindDocumentAsync(ApiCaller.From(context.User).UserId, id, documentId, cancellationToken) is { } document
            ? TypedResults.Ok(DocumentWire.Of(document))
            : DocumentNotFound();

    private static async Task<IResult> ReingestAsync(Guid id, Guid documentId, HttpContext context, KnowledgeService knowledge, CancellationToken cancellationToken)
    {
        var caller = ApiCaller.From(context.User);
        if (await ModelRefusedAsync(caller, knowledge, id, cancellationToken) is { } refused)
        {
            return refused;
        }
        var (document, error) = await knowledge.ReingestAsync(caller.UserId, id, documentId, cancellationToken);
        return document is null ? Problem(error!)
            : TypedResults.Json(new DocumentAccepted(document.Id, document.JobId!.Value, DocumentWire.StatusName(document.Status)), statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> DeleteDocumentAsync(Guid id, Guid documentId, HttpContext context, KnowledgeService knowledge, CancellationToken cancellationToken) =>
        await knowledge.DeleteDocumentAsync(ApiCaller.From(context.User).UserId, id, documentId, cancellationToken) is { } error ? Problem(error) : TypedResults.NoContent();

    /// <summary>
    /// Follows an ingestion by reading the document's saved progress, so it works whichever instance runs the job:
    /// <c>embed.status</c> each time the count moves, then <c>embed.done</c> or <c>error</c>.
    /// </summary>
    private static async Task<IResult> EventsAsync(Guid id, Guid documentId, HttpContext context, KnowledgeService knowledge,
        IOptions<KnowledgeOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, TimeProvider clock)
    {
        var cancellationToken = context.RequestAborted;
        var userId = ApiCaller.From(context.User).UserId;
        if (await knowledge.FindDocumentAsync(userId, id, documentId, cancellationToken) is not { } document)
        {
            return DocumentNotFound();
        }
        var sse = new ServerSentEventWriter(context.Response, json.Value.SerializerOptions);
        await sse.StartAsync(cancellationToken);
        await sse.WriteAsync("ready", new IngestionFrames.Ready(documentId, DocumentWire.StatusName(document.Status)), cancellationToken);
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var keepingAlive = sse.KeepAliveAsync("keepalive", TimeSpan.FromSeconds(options.Value.KeepaliveSeconds), streaming.Token);
        try
        {
            (int Done, int Total)? sent = null;
            while (true)
            {
                if (document.ChunksTotal > 0 && sent != (document.ChunksDone, document.ChunksTotal))
                {
                    await sse.WriteAsync("embed.status", new IngestionFrames.Status(document.ChunksDone, document.ChunksTotal), cancellationToken);
                    sent = (document.ChunksDone, document.ChunksTotal);
                }
                switch (document.Status)
                {
                    case DocumentStatus.Ready:
                        await sse.WriteAsync("embed.done", DocumentWire.Of(document), cancellationToken);
                        return Results.Empty;
                    case DocumentStatus.Failed:
                        await sse.WriteAsync("error", new IngestionFrames.Error("ingestion_failed", document.Error ?? "The ingestion failed."), cancellationToken);
                        return Results.Empty;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(options.Value.ProgressPollMilliseconds), clock, cancellationToken);
                if (await knowledge.FindDocumentAsync(userId, id, documentId, cancellationToken) is not { } now)
                {
                    await sse.WriteAsync("error", new IngestionFrames.Error("not_found", "The document was deleted."), cancellationToken);
                    return Results.Empty;
                }
                document = now;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Results.Empty; // the client left; the ingestion goes on
        }
        finally
        {
            await streaming.CancelAsync();
            await keepingAlive;
        }
    }

    private static async Task<IResult> SearchAsync(Guid id, HttpContext context, KnowledgeSearch search, CallAdmission admission, IOptions<ApiOptions> api,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var (body, failure) = await RequestBody.ReadJsonAsync<SearchRequestBody>(context.Request, api.Value.MaxRequestBytes, json.Value.SerializerOptions, cancellationToken);
        if (failure is not null)
        {
            return ApiProblems.BadBody(failure);
        }
        var caller = ApiCaller.From(context.User);
        // A search is a request like any other: it counts in the caller's (and the key's) per-minute limits.
        if (await admission.CountRequestAsync(caller.UserId, caller.KeyId, cancellationToken) is { } limited)
        {
            return TypedResults.Problem(title: "Too many requests", detail: limited.Message, statusCode: StatusCodes.Status429TooManyRequests);
        }
        var (result, error) = await search.SearchAsync(new SearchRequest(caller.UserId, [id], body!.Query ?? "", body.TopK ?? 5)
        {
            Source = UsageSource.Api,
            ApiKeyId = caller.KeyId,
            AllowedModels = caller.ModelLimit,
        }, cancellationToken);
        return result is null ? Problem(error!)
            : TypedResults.Ok(new SearchResultWire(result.Hits.Select(SearchHitWire.Of).ToList(), (long)result.Took.TotalMilliseconds, result.Warning));
    }

    private static ProblemHttpResult Problem(KnowledgeError error) => TypedResults.Problem(
        title: error.Problem switch
        {
            KnowledgeProblem.NotFound => "Not found",
            KnowledgeProblem.TooLarge => "Document too large",
            KnowledgeProblem.Duplicate => "Already in the collection",
            KnowledgeProblem.Forbidden => "Not allowed",
            _ => "Invalid request",
        },
        detail: error.Message,
        statusCode: error.Problem switch
        {
            KnowledgeProblem.NotFound => StatusCodes.Status404NotFound,
            KnowledgeProblem.TooLarge => StatusCodes.Status413PayloadTooLarge,
            KnowledgeProblem.Duplicate => StatusCodes.Status409Conflict,
            KnowledgeProblem.Forbidden => StatusCodes.Status403Forbidden,
            _ => StatusCodes.Status400BadRequest,
        });

    /// <summary>A 403 when the caller's key may not use the collection's model, which would embed what it sends; else null.</summary>
    private static async Task<ProblemHttpResult?> ModelRefusedAsync(ApiCaller caller, KnowledgeService knowledge, Guid collectionId, CancellationToken cancellationToken) =>
        caller.ModelLimit is { } allowed && await knowledge.FindCollectionAsync(caller.UserId, collectionId, cancellationToken) is { } target
            && !allowed.Contains(target.EmbeddingModel)
            ? KeyMayNotUse(target.EmbeddingModel)
            : null;

    private static ProblemHttpResult KeyMayNotUse(string model) =>
        TypedResults.Problem(title: "Model not allowed", detail: $"This API key may not use {model}.", statusCode: StatusCodes.Status403Forbidden);

    private static ProblemHttpResult TooLarge(long size, int limit) =>
        TypedResults.Problem(title: "Document too large", detail: KnowledgeRules.TooLarge(size, limit), statusCode: StatusCodes.Status413PayloadTooLarge);

    private static ProblemHttpResult CollectionNotFound() =>
        TypedResults.Problem(title: "Not found", detail: "There is no such collection, or it is not yours.", statusCode: StatusCodes.Status404NotFound);

    private static ProblemHttpResult DocumentNotFound() =>
        TypedResults.Problem(title: "Not found", detail: "There is no such document in a collection you can read.", statusCode: StatusCodes.Status404NotFound);
}
