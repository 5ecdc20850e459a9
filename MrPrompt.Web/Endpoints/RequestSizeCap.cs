using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// One cap on every request body (<see cref="ApiOptions.MaxRequestBytes"/>, 1 MiB), refused with a 413 before
/// anything reads it: no form, JSON binding or antiforgery check gets to buffer megabytes first. The model
/// endpoints read their bodies themselves under the same cap, so their 413 keeps their own error format.
/// A body without a length is cut off by the server at about the same size. Knowledge documents have their own,
/// larger limit (<see cref="Infrastructure.Knowledge.KnowledgeOptions.MaxDocumentBytes"/>). Live pages (<c>/_blazor</c>) keep
/// their hub's own receive limit.
/// </summary>
public static class RequestSizeCap
{
    public static void UseRequestSizeCap(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (path.StartsWithSegments("/_blazor"))
            {
                await next(context); // live pages: the hub's own receive limit (CircuitLimits) applies
                return;
            }
            var maxBytes = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxRequestBytes;
            if (path.StartsWithSegments("/api/knowledge") && HttpMethods.IsPost(context.Request.Method))
            {
                // Documents are larger than API calls: up to the knowledge limit, checked (413) where they are read.
                maxBytes = Math.Max(maxBytes, context.RequestServices.GetRequiredService<IOptions<Infrastructure.Knowledge.KnowledgeOptions>>().Value.MaxDocumentBytes
                    + Knowledge.KnowledgeEndpoints.UploadOverhead);
            }
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = maxBytes + 16 * 1024; // the server's ceiling; the checks below answer first
            }
            if (path.StartsWithSegments("/v1") || path.StartsWithSegments("/api/gateway"))
            {
                await next(context); // they read under the same cap and answer in their own error format
                return;
            }
            if (context.Request.ContentLength > maxBytes)
            {
                await Results.Problem(
                    title: "Request too large",
                    detail: $"The request body is larger than the limit of {maxBytes / 1024} KiB.",
                    statusCode: StatusCodes.Status413PayloadTooLarge).ExecuteAsync(context);
                return;
            }
            await next(context);
        });
}
