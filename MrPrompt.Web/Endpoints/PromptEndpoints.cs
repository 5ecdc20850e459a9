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
        prompts.MapPost("/", CreateAsync).WithName("CreatePrompt").WithSummary("Create a prompt with its first version")
            .WithJsonExample(PromptExamples.Create);
        prompts.MapGet("/by-key/{key}", GetByKeyAsync).WithName("GetPromptByKey")
            .WithSummary("What a program fetches at run time: one version of the caller's (or a built-in) prompt by key, by label or number, else production, else the latest");
        prompts.MapGet("/{id:guid}", GetAsync).WithName("GetPrompt").WithSummary("A prompt with its versions and labels");
        prompts.MapDelete("/{id:guid}", DeleteAsync).WithName("DeletePrompt").WithSummary("Delete a prompt with all its versions");
        prompts.MapGet("/{id:guid}/versions", VersionsAsync).WithName("ListPromptVersions").WithSummary("A prompt's versions, newest first, with their labels");
        prompts.MapPost("/{id:guid}/versions", SaveVersionAsync).WithName("SavePromptVersion").WithSummary("Save new content as the next version")
            .WithJsonExample(PromptExamples.Version);
        prompts.MapPut("/{id:guid}/labels/{label}", MoveLabelAsync).WithName("MovePromptLabel").WithSummary("Point a label at a version")
            .WithJsonExample(new LabelRequest(2));
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

    private static async Task<Results<Created<PromptResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreatePromptRequest request, ClaimsPrincipal user, [FromServices] PromptEditor editor, [FromServices] PromptLibrary library,
        CancellationToken cancellationToken)
    {
        var caller = Caller(user);
        var created = await editor.CreateAsync(caller, request.ToDetails(), request.ToContent(), request.ChangeNote, cancellationToken);
        if (created.Problem is { } problem)
        {
            return problem.Kind == PromptProblemKind.Invalid ? Invalid(problem) : TypedResults.Problem(title: "Not saved", detail: problem.Message, statusCode: StatusCodes.Status409Conflict);
        }
        var view = (await library.GetAsync(caller, created.Value, cancellationToken)).Value!;
        return TypedResults.Created($"/api/prompts/{created.Value}", PromptResponse.Of(view));
    }

    private static async Task<Results<Ok<ResolvedPromptResponse>, ValidationProblem, NotFound<ProblemDetails>>> GetByKeyAsync(
        string key, string? label, int? version, ClaimsPrincipal user, [FromServices] PromptRunner runner, CancellationToken cancellationToken)
    {
        if (label is not null && version is not null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["label"] = ["Ask for a label or a version number, not both."] });
        }
        var resolved = await runner.ResolveAsync(Caller(user), new PromptSelector(Key: key, Version: version, Label: label), cancellationToken);
        if (resolved.Problem is { } problem)
        {
            // A missing label or version is as absent as a missing prompt to the program asking; the detail says which.
            return TypedResults.NotFound(new ProblemDetails
            {
                Title = "Prompt not found",
                Detail = problem.Kind == PromptProblemKind.NotFound ? $"No prompt with the key '{key}' among yours or the built-in ones." : problem.Message,
                Status = StatusCodes.Status404NotFound,
            });
        }
        var (prompt, found) = resolved.Value;
        return TypedResults.Ok(ResolvedPromptResponse.Of(prompt, found));
    }

    private static async Task<Results<NoContent, NotFound<ProblemDetails>, ProblemHttpResult>> DeleteAsync(
        Guid id, ClaimsPrincipal user, [FromServices] PromptEditor editor, CancellationToken cancellationToken)
    {
        var deleted = await editor.DeleteAsync(Caller(user), id, cancellationToken);
        return deleted.Problem?.Kind switch
        {
            null => TypedResults.NoContent(),
            PromptProblemKind.Forbidden => Forbidden(deleted.Problem),
            _ => NotFound(deleted.Problem),
        };
    }

    private static async Task<Results<Ok<IReadOnlyList<PromptVersionResponse>>, NotFound<ProblemDetails>>> VersionsAsync(
        Guid id, ClaimsPrincipal user, [FromServices] PromptLibrary library, CancellationToken cancellationToken)
    {
        var found = await library.GetAsync(Caller(user), id, cancellationToken);
        return found.Value is { } view ? TypedResults.Ok(PromptResponse.Of(view).Versions) : NotFound(found.Problem!);
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
        TypedResults.Problem(title: "Not allowed", detail: problem.Message, statusCode: StatusCodes.Status403Forbidden);

    private static ValidationProblem Invalid(PromptProblem problem) => TypedResults.ValidationProblem(
        problem.Fields?.ByField.ToDictionary(f => JsonName(f.Key), f => f.Value.ToArray()) ?? new Dictionary<string, string[]> { [""] = [problem.Message] },
        detail: problem.Message);

    private static string JsonName(string field) => field.Length == 0 ? field : char.ToLowerInvariant(field[0]) + field[1..];
}

/// <summary>A new prompt and its first version, as JSON: the details, then what <see cref="PromptVersionRequest"/> takes.</summary>
public sealed record CreatePromptRequest(
    string? Key,
    string? Title,
    string? Description = null,
    IReadOnlyList<string>? Tags = null,
    PromptVisibility Visibility = PromptVisibility.Private,
    string? SystemPrompt = null,
    string? UserTemplate = null,
    string? Model = null,
    float? Temperature = null,
    int? MaxOutputTokens = null,
    PromptResponseFormat ResponseFormat = PromptResponseFormat.Text,
    string? JsonSchema = null,
    IReadOnlyList<string>? DataLoaders = null,
    string? ChangeNote = null)
{
    public PromptDetails ToDetails() => new(Key ?? "", Title ?? "", Description, Tags ?? [], Visibility);

    public PromptContent ToContent() =>
        new(SystemPrompt ?? "", UserTemplate ?? "", Model, Temperature, MaxOutputTokens, ResponseFormat, JsonSchema, DataLoaders ?? []);
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

/// <summary>One version of a prompt as a program runs it: its templates, settings and the variables it wants.</summary>
public sealed record ResolvedPromptResponse(
    Guid? Id, string Key, string Title, PromptVersionResponse Version, IReadOnlyList<PromptVariableResponse> Variables)
{
    public static ResolvedPromptResponse Of(PromptView prompt, PromptVersion version) => new(
        prompt.Id, prompt.Key, prompt.Title, PromptVersionResponse.Of(version, prompt.LabelsOf(version).ToList()),
        (version.Content.Variables() ?? []).Select(v => new PromptVariableResponse(v.Path, v.IsRequired, v.DefaultValue)).ToList());
}

/// <summary>A variable the templates use; one with a default is optional.</summary>
public sealed record PromptVariableResponse(string Name, bool Required, string? Default);

/// <summary>The request bodies the OpenAPI document shows as examples.</summary>
internal static class PromptExamples
{
    public static readonly CreatePromptRequest Create = new(
        "listing-description", "Listing description", "Writes a short listing for a product.", ["sales"], PromptVisibility.Private,
        "You write short, honest product listings.", "Describe {{product}} for {{audience | default: \"everyone\"}}.", "openai/gpt-4o-mini", 0.3f, 300,
        ChangeNote: "First version");

    public static readonly PromptVersionRequest Version = new(
        "You write short, honest product listings.", "Describe {{product}} in two sentences.", "openai/gpt-4o-mini", ChangeNote: "Shorter");
}

public sealed record PromptVersionResponse(
    int Number, IReadOnlyList<string> Labels, string ChangeNote, DateTimeOffset CreatedAt, string SystemPrompt, string UserTemplate, string? Model,
    float? Temperature, int? MaxOutputTokens, PromptResponseFormat ResponseFormat, string? JsonSchema, IReadOnlyList<string> DataLoaders)
{
    public static PromptVersionResponse Of(PromptVersion v, IReadOnlyList<string> labels) => new(
        v.Number, labels, v.ChangeNote, v.CreatedAt, v.SystemPrompt, v.UserTemplate, v.Model, v.Temperature, v.MaxOutputTokens, v.ResponseFormat,
        v.JsonSchema, v.DataLoaders);
}
