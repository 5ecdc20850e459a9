using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// <c>GET /api/chats/{id}/export?format=md|json</c>: a chat as a file; <c>GET /api/chats/{id}/attachments/{attachmentId}</c>: a file
/// sent in it. For the chat's owner only; anyone else gets 404, as for a chat that never existed.
/// </summary>
public static class ChatExportEndpoints
{
    public static void MapChatExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/chats/{id:guid}/export", ExportAsync)
            .RequireAuthorization()
            .WithName("ExportChat")
            .WithSummary("Download a chat as Markdown or JSON")
            .WithTags("Chat");
        app.MapGet("/api/chats/{id:guid}/attachments/{attachmentId:guid}", AttachmentAsync)
            .RequireAuthorization()
            .WithName("GetChatAttachment")
            .WithSummary("Download a file attached to a message of the chat")
            .WithTags("Chat");
    }

    private static async Task<Results<FileContentHttpResult, NotFound<ProblemDetails>>> AttachmentAsync(
        Guid id, Guid attachmentId, HttpContext context, [FromServices] ChatAttachments attachments, CancellationToken cancellationToken)
    {
        var found = UserId.Of(context.User) is { } userId ? await attachments.FindAsync(userId, id, attachmentId, cancellationToken) : null;
        if (found is null)
        {
            return TypedResults.NotFound(new ProblemDetails { Title = "Attachment not found", Status = StatusCodes.Status404NotFound });
        }
        context.Response.Headers.CacheControl = "private, max-age=3600";
        // Images (raster only, never SVG) show in the page; anything else downloads rather than render as this site.
        return found.Kind == AttachmentKind.Image
            ? TypedResults.File(found.Data, found.ContentType)
            : TypedResults.File(found.Data, "application/octet-stream", found.FileName);
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
