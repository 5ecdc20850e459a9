using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Endpoints;

/// <summary><c>GET /api/chats/{id}/export?format=md|json</c>: a chat as a file, for its owner only.</summary>
public static class ChatExportEndpoints
{
    public static void MapChatExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/chats/{id:guid}/export", ExportAsync)
            .RequireAuthorization()
            .WithName("ExportChat")
            .WithSummary("Download a chat as Markdown or JSON")
            .WithTags("Chat");
    }

    private static async Task<Results<FileContentHttpResult, NotFound<ProblemDetails>, BadRequest<ProblemDetails>>> ExportAsync(
        Guid id, string? format, ClaimsPrincipal user, [FromServices] ChatSessionStore sessions, CancellationToken cancellationToken)
    {
        if (format is not ("md" or "json"))
        {
            return TypedResults.BadRequest(new ProblemDetails
            {
                Title = "Unknown export format",
                Detail = "Use format=md for Markdown or format=json for JSON.",
                Status = StatusCodes.Status400BadRequest,
            });
        }
        var view = UserId.Of(user) is { } userId ? await sessions.GetAsync(userId, id, cancellationToken) : null;
        if (view is null)
        {
            return TypedResults.NotFound(new ProblemDetails { Title = "Chat not found", Status = StatusCodes.Status404NotFound });
        }
        var (text, contentType) = format == "md"
            ? (ChatTranscript.ToMarkdown(view.Session, view.Messages), "text/markdown; charset=utf-8")
            : (ChatTranscript.ToJson(view.Session, view.Messages), "application/json; charset=utf-8");
        return TypedResults.File(Encoding.UTF8.GetBytes(text), contentType, ChatTranscript.FileName(view.Session, format));
    }
}
