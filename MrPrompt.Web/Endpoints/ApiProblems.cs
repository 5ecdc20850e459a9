using Microsoft.AspNetCore.Http.HttpResults;
using MrPrompt.Infrastructure.Chat;

namespace MrPrompt.Web.Endpoints;

/// <summary>The ProblemDetails answers the job and compare APIs share.</summary>
public static class ApiProblems
{
    public static ProblemHttpResult Invalid(string message) =>
        TypedResults.Problem(title: "Invalid request", detail: message, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>A chat action refused, with the status that fits why.</summary>
    public static ProblemHttpResult Of(ChatProblem problem) => TypedResults.Problem(
        title: problem.Kind switch
        {
            ChatProblemKind.NotFound => "Chat not found",
            ChatProblemKind.Busy => "An answer is being written in this chat",
            ChatProblemKind.Limited => "Limit reached",
            ChatProblemKind.TooFast => "Too many requests",
            ChatProblemKind.Restarting => "Restarting",
            _ => "Invalid request",
        },
        detail: problem.Message,
        statusCode: problem.Kind switch
        {
            ChatProblemKind.NotFound => StatusCodes.Status404NotFound,
            ChatProblemKind.Busy => StatusCodes.Status409Conflict,
            ChatProblemKind.Limited or ChatProblemKind.TooFast => StatusCodes.Status429TooManyRequests,
            ChatProblemKind.Restarting => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status400BadRequest,
        });

    /// <summary>A body refused before it was read: too large, not JSON, malformed.</summary>
    public static ProblemHttpResult BadBody(RequestBody.Failure failure) =>
        TypedResults.Problem(title: "Bad request body", detail: failure.Message, statusCode: failure.Status);
}
