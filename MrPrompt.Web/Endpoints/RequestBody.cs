using System.Text.Json;
using MrPrompt.Web.Authentication;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// Reads a JSON body with a size cap, so an oversized or malformed request is a clear 413 or 400
/// decided before any work, in the caller's own error format.
/// </summary>
/// <remarks>
/// A program with an API key may leave out <c>Content-Type</c> (curl's <c>-d</c> says form data): the
/// body is read as JSON whatever it claims. A browser's sign-in must say <c>application/json</c>, which
/// a page on another site cannot send without the browser asking first, so a stranger's form cannot
/// spend a signed-in person's budget.
/// </remarks>
public static class RequestBody
{
    public sealed record Failure(int Status, string Message);

    public static async Task<(T? Body, Failure? Failure)> ReadJsonAsync<T>(HttpRequest request, int maxBytes, JsonSerializerOptions json, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HttpContext.User.HasClaim(c => c.Type == ApiKeyAuthenticationHandler.KeyIdClaim) && !request.HasJsonContentType())
        {
            return (null, new Failure(StatusCodes.Status415UnsupportedMediaType,
                "A signed-in browser must send the body as Content-Type: application/json (programs with an API key may send it without one)."));
        }
        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return (null, TooLarge(maxBytes));
            }
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            return (null, new Failure(StatusCodes.Status400BadRequest, "The request needs a JSON body."));
        }
        try
        {
            buffer.Position = 0;
            var body = await JsonSerializer.DeserializeAsync<T>(buffer, json, cancellationToken);
            return body is null ? (null, new Failure(StatusCodes.Status400BadRequest, "The request body must be a JSON object.")) : (body, null);
        }
        catch (JsonException ex)
        {
            // The parser's own message says where (line and byte) and never echoes secrets.
            return (null, new Failure(StatusCodes.Status400BadRequest, $"The request body is not valid JSON: {ex.Message}"));
        }
    }

    private static Failure TooLarge(int maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the limit of {maxBytes / 1024} KiB.");
}
