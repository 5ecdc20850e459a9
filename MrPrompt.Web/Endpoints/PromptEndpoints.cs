using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Web.Authentication;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// <c>/api/prompts</c>: the prompt library over HTTP for the signed-in user, through the same services
/// as the pages, so the same rules hold: another user's private prompt is 404, changing another
/// user's public prompt is 403, and bad input is a 400 naming each field.
/// </summary>
public static class PromptEndpoints
{
    public static void MapPromptsApi(this IEndpointRouteBuilder app)
    {
        var prompts = app.MapGroup("/api/prompts").RequireAuthorization(ApiAuthorization.Policy).WithTags("Prompts")
            .AddEndpointFilter(CrossSiteRequests.Refuse(_ => TypedResults.Problem(
                title: "Not from this site", detail: CrossSiteRequests.Explanation, statusCode: StatusCodes.Status403Forbidden)));
        prompts.MapGet("/", ListAsync).WithName("ListPrompts").WithSummary("The caller's, public and built-in prompts");
        prompts.MapGet("/{id:guid}", GetAsync).WithName("GetPrompt").WithSummary("A prompt with its versions and labels");
        prompts.MapPost("/{id:guid}/versions", SaveVersionAsync).WithName("SavePromptVersion").WithSummary("Save new content as the next version");
        prompts.MapPut("/{id:guid}/labels/{label}", MoveLabelAsync).WithName("MovePromptLabel").WithSummary("Point a label at a version");
    }

    private static async Task<Ok<IReadOnlyList<PromptSummary>>> ListAsync(
        string? search, string? tag, PromptScope? scope, ClaimsPrincipal user, [FromServices] PromptLibrary library, CancellationToken cancellationToken) =>
        TypedResults.Ok(await library.ListAsync(Caller(user), new PromptQuery(search, tag, scope ?? PromptScope.All), cancellationToken));

    private static async Task<Results<Ok<PromptResponse>, NotFound<ProblemDetails>>> GetAsync(
        Guid id, ClaimsPrincipal user, [FromServices] PromptLibrary library, CancellationToken cancellationToken)
    {
        var found = await library.GetAsync(Caller(user), id, cancellationToken);
        return found.Value is { } view ? TypedResults.Ok(PromptResponse.Of(view)) : NotFound(found.Problem!);
    }

    private static async Task<Results<Created<PromptVersionResponse>, ValidationProblem, NotFound<ProblemDetails>, ProblemHttpResult>> SaveVersionAsync(
        Guid id, PromptVersionRequest request, ClaimsPrincipal user, [FromServices] PromptEditor editor, CancellationToken cancellationToken)
    {
        var saved = await editor.SaveVersionAsync(Caller(user), id, request.ToContent(), request.ChangeNote, cancellationToken);
        if (saved.Value is { } version)
        {
            return TypedResults.Created($"/api/prompts/{id}", PromptVersionResponse.Of(version, []));
        }
        return saved.Problem!.Kind switch
        {
            PromptProblemKind.NotFound => NotFound(saved.Problem),
            PromptProblemKind.Forbidden => Forbidden(saved.Problem),
            _ => Invalid(saved.Problem),
        };
    }

    private static async Task<Results<Ok, ValidationProblem, NotFound<ProblemDetails>, ProblemHttpResult>> MoveLabelAsync(
        Guid id, string label, LabelRequest request, ClaimsPrincipal user, [FromServices] PromptEditor editor, CancellationToken cancellationToken)
    {
        var moved = await editor.MoveLabelAsync(Caller(user), id, label, request.Version, cancellationToken);
        if (moved.Succeeded)
        {
            return TypedResults.Ok();
        }
        return moved.Problem!.Kind switch
        {
            PromptProblemKind.NotFound => NotFound(moved.Problem),
            PromptProblemKind.Forbidden => Forbidden(moved.Problem),
            _ => Invalid(moved.Problem),
        };
    }

    /// <summary>The endpoints require a signed-in user, whose id claim is always present.</summary>
    private static Guid Caller(ClaimsPrincipal user) => UserId.Of(user) ?? throw new InvalidOperationException("An authorized request without a user id.");

    private static NotFound<ProblemDetails> NotFound(PromptProblem problem) =>
        TypedResults.NotFound(new ProblemDetails { Title = "Prompt not found", Detail = problem.Message, Status = StatusCodes.Status404NotFound });

    private static ProblemHttpResult Forbidden(PromptProblem problem) =>
        TypedResults.Problem(title: "Not your prompt", detail: problem.Message, statusCode: StatusCodes.Status403Forbidden);

    private static ValidationProblem Invalid(PromptProblem problem) => TypedResults.ValidationProblem(
        problem.Fields?.ByField.ToDictionary(f => JsonName(f.Key), f => f.Value.ToArray()) ?? new Dictionary<string, string[]> { [""] = [problem.Message] },
        detail: problem.Message);

    private static string JsonName(string field) => field.Length == 0 ? field : char.ToLowerInvariant(field[0]) + field[1..];
}

/// <summary>The content of a new version, as JSON.</summary>
public sealed record PromptVersionRequest(
    string? SystemPrompt,
    string? UserTemplate,
    string? Model = null,
    float? Temperature = null,
    int? MaxOutputTokens = null,
    PromptResponseFormat ResponseFormat = PromptResponseFormat.Text,
    string? JsonSchema = null,
    IReadOnlyList<string>? DataLoaders = null,
    string? ChangeNote = null)
{
    public PromptContent ToContent() =>
        new(SystemPrompt ?? "", UserTemplate ?? "", Model, Temperature, MaxOutputTokens, ResponseFormat, JsonSchema, DataLoaders ?? []);
}

public sealed record LabelRequest(int Version);

public sealed record PromptResponse(
    Guid? Id, string Key, string Title, string Description, IReadOnlyList<string> Tags, PromptVisibility Visibility, string Owner, bool CanEdit,
    IReadOnlyList<PromptVersionResponse> Versions)
{
    public static PromptResponse Of(PromptView view) => new(
        view.Id, view.Key, view.Title, view.Description, view.Tags, view.Visibility, view.OwnerName, view.CanEdit,
        view.Versions.Select(v => PromptVersionResponse.Of(v, view.LabelsOf(v).ToList())).ToList());
}

public sealed record PromptVersionResponse(
    int Number, IReadOnlyList<string> Labels, string ChangeNote, DateTimeOffset CreatedAt, string SystemPrompt, string UserTemplate, string? Model,
    float? Temperature, int? MaxOutputTokens, PromptResponseFormat ResponseFormat, string? JsonSchema, IReadOnlyList<string> DataLoaders)
{
    public static PromptVersionResponse Of(PromptVersion v, IReadOnlyList<string> labels) => new(
        v.Number, labels, v.ChangeNote, v.CreatedAt, v.SystemPrompt, v.UserTemplate, v.Model, v.Temperature, v.MaxOutputTokens, v.ResponseFormat,
        v.JsonSchema, v.DataLoaders);
}
