using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints.Compare;

/// <summary>
/// <c>/api/compare</c> (docs/contracts.md, "Compare API"): one question to 2–4 models at once, answered in the background.
/// Each target is its own job, so a failing or slow model never holds up the others, and partial results can be read
/// while the rest run. Results expire after <c>Jobs__CompareResultHours</c>.
/// </summary>
public static class CompareEndpoints
{
    public static void MapCompareApi(this IEndpointRouteBuilder app)
    {
        var compare = app.MapGroup("/api/compare").RequireAuthorization(ApiAuthorization.Policy).WithTags("Compare")
            .AddEndpointFilter(CrossSiteRequests.Refuse(_ => TypedResults.Problem(
                title: "Not from this site", detail: CrossSiteRequests.Explanation, statusCode: StatusCodes.Status403Forbidden)));
        compare.MapPost("/", StartAsync).WithName("StartCompare").WithSummary("Ask 2 to 4 models at once; 202 with the compare id")
            .DescribesJsonBody<CompareRequest>();
        compare.MapGet("/{id:guid}", GetAsync).WithName("GetCompare").WithSummary("Each target's status and answer so far");
    }

    private static async Task<IResult> StartAsync(
        HttpContext context, CompareService compares, IOptions<ApiOptions> api, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        CancellationToken cancellationToken)
    {
        var (body, failure) = await RequestBody.ReadJsonAsync<CompareRequest>(context.Request, api.Value.MaxRequestBytes, json.Value.SerializerOptions, cancellationToken);
        if (failure is not null)
        {
            return ApiProblems.BadBody(failure);
        }
        if (body!.Problem() is { } invalid)
        {
            return ApiProblems.Invalid(invalid);
        }
        var caller = ApiCaller.From(context.User);
        var started = await compares.StartAsync(caller.UserId, body.Message!, body.Targets!,
            new QueuedCompare(body.System, body.Temperature, caller.KeyId, caller.ModelLimit, TraceIds.Of(context)), cancellationToken);
        if (started.Problem is { } problem)
        {
            return ApiProblems.Of(problem);
        }
        return TypedResults.Json(new CompareAccepted(started.Value), statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<Results<Ok<CompareStatus>, ProblemHttpResult>> GetAsync(
        Guid id, HttpContext context, CompareService compares, CancellationToken cancellationToken) =>
        await compares.GetAsync(ApiCaller.From(context.User).UserId, id, cancellationToken) is { } view
            ? TypedResults.Ok(CompareStatus.Of(view))
            : TypedResults.Problem(title: "Compare not found", detail: "No compare of yours has this id, or its results have expired.", statusCode: StatusCodes.Status404NotFound);
}
