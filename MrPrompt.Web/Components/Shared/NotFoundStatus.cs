using Microsoft.AspNetCore.Http;

namespace MrPrompt.Web.Components.Shared;

/// <summary>
/// A page that keeps its own "not found" message (with the rest of the page around it) still answers the
/// first request for a missing or foreign id with a 404, as the HTTP API does, so a probe cannot tell a
/// foreign id from one that never existed. Once the page is live there is no status to set.
/// </summary>
public static class NotFoundStatus
{
    public static void SetDuringPrerender(HttpContext? context)
    {
        if (context is { Response.HasStarted: false })
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
    }
}
