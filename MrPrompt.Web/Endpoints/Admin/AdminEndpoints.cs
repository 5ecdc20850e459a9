using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Usage;
using MrPrompt.Web.Authentication;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Endpoints.Admin;

/// <summary>
/// <c>/api/admin</c>: the admin console over HTTP (a browser signed in as an Admin, or an Admin's API
/// key), through the same services as its pages. The Admin role is checked twice: in the sign-in
/// (policy) and in the database on every request (<see cref="AdminGate"/>), so a demoted account's
/// cookie or cached key gets 403 at once.
/// </summary>
public static class AdminEndpoints
{
    private const string CallerItem = "mrp:admin";

    public static void MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin")
            .RequireAuthorization(ApiAuthorization.AdminPolicy)
            .AddEndpointFilter(CrossSiteRequests.Refuse(_ => TypedResults.Problem(
                title: "Not from this site", detail: CrossSiteRequests.Explanation, statusCode: StatusCodes.Status403Forbidden)))
            .AddEndpointFilter(VerifyAdminAsync)
            .WithTags("Admin");
        admin.MapGet("/usage", UsageAsync).WithName("GetUsage")
            .WithSummary("Totals, a breakdown and figures over time for the filtered usage rows");
        admin.MapGet("/usage/rows", RowsAsync).WithName("ListUsageRows").WithSummary("A page of the filtered usage rows");
        admin.MapGet("/usage/export.csv", Export).WithName("ExportUsage").WithSummary("Every filtered usage row as CSV, streamed");
        admin.MapGet("/usage/retention", RetentionAsync).WithName("GetUsageRetention").WithSummary("How long usage rows are kept");
        admin.MapPut("/usage/retention", ChangeRetentionAsync).WithName("SetUsageRetention").WithSummary("Keep usage rows for a number of days (0: for ever)");
        admin.MapGet("/users", UsersAsync).WithName("ListAccounts").WithSummary("Accounts with their role, status and usage this month");
        admin.MapPost("/users/{id:guid}/unlock", UnlockAsync).WithName("UnlockAccount")
            .WithSummary("Lets an account locked by wrong passwords try again at once");
        admin.MapPost("/users/{id:guid}/password-reset-link", ResetLinkAsync).WithName("CreatePasswordResetLink")
            .WithSummary("A one-time link, valid 24 hours, for the account's owner to choose a new password");
        admin.MapGet("/invitations", InvitationsAsync).WithName("ListInvitations").WithSummary("Invitations not yet used, expired or withdrawn");
        admin.MapPost("/invitations", InviteAsync).WithName("CreateInvitation")
            .WithSummary("A one-time link, valid 7 days, to create an account (for one email, or whoever gets it) with a role");
        admin.MapDelete("/invitations/{id:guid}", WithdrawInvitationAsync).WithName("WithdrawInvitation").WithSummary("Ends an open invitation");
        admin.MapGet("/providers", ProvidersAsync).WithName("GetProviderHealth").WithSummary("Each provider's success rate, p95 latency, last error and circuit");
        admin.MapGet("/audit", AuditAsync).WithName("ListAuditEvents").WithSummary("The audit log, newest first");
    }

    /// <summary>Asks the database whether the caller is still an enabled Admin, and keeps the proof for the handler.</summary>
    private static async ValueTask<object?> VerifyAdminAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = await http.RequestServices.GetRequiredService<AdminGate>().VerifyAsync(UserId.Of(http.User), http.RequestAborted);
        if (caller is null)
        {
            return TypedResults.Problem(title: "Admins only", detail: "This account is not an enabled Admin.", statusCode: StatusCodes.Status403Forbidden);
        }
        http.Items[CallerItem] = caller;
        return await next(context);
    }

    private static AdminCaller Caller(HttpContext http) => (AdminCaller)http.Items[CallerItem]!;

    /// <param name="groupBy">Provider (default), Model, User or PromptVersion.</param>
    private static async Task<Results<Ok<UsageOverview>, ValidationProblem>> UsageAsync(
        [AsParameters] UsageFilterParameters query, string? groupBy, HttpContext http, [FromServices] UsageReport report, [FromServices] TimeProvider clock)
    {
        var (filter, errors) = UsageQueryString.Parse(query, clock.GetUtcNow());
        var grouping = UsageQueryString.Name<UsageGrouping>(groupBy, "groupBy", errors);
        if (filter is null || errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        return TypedResults.Ok(await report.OverviewAsync(Caller(http), filter, grouping ?? UsageGrouping.Provider, http.RequestAborted));
    }

    /// <param name="sort">ExecutedAt (default), LatencyMs, TimeToFirstTokenMs, InputTokens, OutputTokens or CostUsd.</param>
    private static async Task<Results<Ok<UsageRowsPage>, ValidationProblem>> RowsAsync(
        [AsParameters] UsageFilterParameters query, string? sort, bool? descending, int? skip, int? take, HttpContext http,
        [FromServices] UsageReport report, [FromServices] TimeProvider clock)
    {
        var (filter, errors) = UsageQueryString.Parse(query, clock.GetUtcNow());
        var order = UsageQueryString.Name<UsageSort>(sort, "sort", errors);
        if (take is < 1 or > UsagePageRequest.MaxTake)
        {
            errors["take"] = [$"Ask for 1 to {UsagePageRequest.MaxTake} rows."];
        }
        if (skip is < 0)
        {
            errors["skip"] = ["Skip 0 rows or more."];
        }
        if (filter is null || errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var caller = Caller(http);
        var page = new UsagePageRequest(order ?? UsageSort.ExecutedAt, descending ?? true, skip ?? 0, take ?? 50);
        var rows = report.PageAsync(caller, filter, page, http.RequestAborted);
        var total = report.CountAsync(caller, filter, http.RequestAborted);
        return TypedResults.Ok(new UsageRowsPage(await rows, await total));
    }

    private static Results<PushStreamHttpResult, ValidationProblem> Export(
        [AsParameters] UsageFilterParameters query, HttpContext http, [FromServices] UsageReport report, [FromServices] TimeProvider clock)
    {
        var (filter, errors) = UsageQueryString.Parse(query, clock.GetUtcNow());
        if (filter is null)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var caller = Caller(http);
        var name = $"mrprompt-usage-{filter.From.UtcDateTime:yyyyMMdd-HHmm}-{filter.To.UtcDateTime:yyyyMMdd-HHmm}.csv";
        return TypedResults.Stream(
            output => UsageCsv.WriteAsync(report.StreamAsync(caller, filter, http.RequestAborted), output, http.RequestAborted),
            "text/csv; charset=utf-8", name);
    }

    private static async Task<Ok<RetentionSetting>> RetentionAsync([FromServices] UsageRetentionPolicy retention, CancellationToken cancellationToken) =>
        TypedResults.Ok(await retention.CurrentAsync(cancellationToken));

    private static async Task<Results<Ok<RetentionSetting>, ValidationProblem>> ChangeRetentionAsync(
        RetentionRequest request, HttpContext http, [FromServices] UsageRetentionPolicy retention)
    {
        if (await retention.ChangeAsync(Caller(http), request.Days, http.RequestAborted) is { } refused)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["days"] = [refused] });
        }
        return TypedResults.Ok(await retention.CurrentAsync(http.RequestAborted));
    }

    private static async Task<Ok<IReadOnlyList<AccountUsage>>> UsersAsync(string? search, HttpContext http, [FromServices] AccountDirectory accounts)
    {
        var caller = Caller(http);
        var listed = await accounts.ListAsync(caller, search, http.RequestAborted);
        var months = await accounts.MonthToDateAsync(caller, http.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<AccountUsage>>(listed
            .Select(a => new AccountUsage(a.Id, a.Email, a.DisplayName, a.Role, a.DisabledAt, a.CreatedAt,
                months.TryGetValue(a.Id, out var month) ? month : new MonthToDate(0, 0)))
            .ToList());
    }

    private static async Task<Results<NoContent, NotFound<ProblemDetails>>> UnlockAsync(Guid id, HttpContext http, [FromServices] AccountRecovery recovery) =>
        await recovery.UnlockAsync(Caller(http), id) is { } refused
            ? TypedResults.NotFound(new ProblemDetails { Title = "No such account", Detail = refused, Status = StatusCodes.Status404NotFound })
            : TypedResults.NoContent();

    private static async Task<Results<Ok<ResetLinkResponse>, NotFound<ProblemDetails>>> ResetLinkAsync(Guid id, HttpContext http, [FromServices] AccountRecovery recovery)
    {
        var (link, refused) = await recovery.CreateResetLinkAsync(Caller(http), id);
        if (link is null)
        {
            return TypedResults.NotFound(new ProblemDetails { Title = "No such account", Detail = refused, Status = StatusCodes.Status404NotFound });
        }
        var site = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/";
        return TypedResults.Ok(new ResetLinkResponse(link.Email, link.On(site), link.ExpiresAt));
    }

    private static async Task<Ok<IReadOnlyList<OpenInvitation>>> InvitationsAsync(HttpContext http, [FromServices] Invitations invitations) =>
        TypedResults.Ok(await invitations.ListOpenAsync(Caller(http), http.RequestAborted));

    private static async Task<Results<Ok<InvitationResponse>, ValidationProblem>> InviteAsync(InvitationRequest? request, HttpContext http, [FromServices] Invitations invitations)
    {
        var (link, errors) = await invitations.CreateAsync(Caller(http), request?.Email, request?.Role, http.RequestAborted);
        if (link is null)
        {
            return TypedResults.ValidationProblem(errors.ByField.ToDictionary(e => e.Key.ToLowerInvariant(), e => e.Value.ToArray()));
        }
        var site = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/";
        return TypedResults.Ok(new InvitationResponse(link.Id, link.Email, link.Role, link.On(site), link.ExpiresAt));
    }

    private static async Task<Results<NoContent, NotFound<ProblemDetails>>> WithdrawInvitationAsync(Guid id, HttpContext http, [FromServices] Invitations invitations) =>
        await invitations.WithdrawAsync(Caller(http), id, http.RequestAborted) is { } refused
            ? TypedResults.NotFound(new ProblemDetails { Title = "No such open invitation", Detail = refused, Status = StatusCodes.Status404NotFound })
            : TypedResults.NoContent();

    private static async Task<Ok<IReadOnlyList<ProviderHealthRow>>> ProvidersAsync(HttpContext http, [FromServices] ProviderHealth health) =>
        TypedResults.Ok(await health.ReportAsync(Caller(http), http.RequestAborted));

    private static async Task<Results<Ok<IReadOnlyList<AuditEvent>>, ValidationProblem>> AuditAsync(
        string? action, string? search, DateTimeOffset? from, DateTimeOffset? to, HttpContext http, [FromServices] AuditLog audit)
    {
        if (action is not null && !AuditActions.All.Contains(action))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["action"] = [$"'{action}' is not one of: {string.Join(", ", AuditActions.All)}."] });
        }
        return TypedResults.Ok(await audit.ListAsync(Caller(http), new AuditQuery(action, search, from, to), http.RequestAborted));
    }

    public sealed record RetentionRequest(int Days);

    /// <summary>An invitation to make: for one <paramref name="Email"/> (or whoever gets the link), as <paramref name="Role"/> (User if not given).</summary>
    public sealed record InvitationRequest(string? Email, string? Role);

    /// <summary>A new invitation's link, shown only now: it creates one account, until <paramref name="ExpiresAt"/>.</summary>
    public sealed record InvitationResponse(Guid Id, string? Email, string Role, string Link, DateTimeOffset ExpiresAt);

    /// <summary>A password reset link to hand to the account's owner: it works once, until <paramref name="ExpiresAt"/>.</summary>
    public sealed record ResetLinkResponse(string Email, string Link, DateTimeOffset ExpiresAt);

    /// <summary>An account as the admin API lists it: who, which role, whether it may sign in, and its calls and spend this month.</summary>
    public sealed record AccountUsage(Guid Id, string Email, string DisplayName, string Role, DateTimeOffset? DisabledAt, DateTimeOffset CreatedAt, MonthToDate ThisMonth);
}
