using System.Text.Json;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// Reads a JSON body with a size cap, so an oversized, malformed or non-JSON request is a clear 413,
/// 400 or 415 decided before any work, in the caller's own error format.
/// </summary>
/// <remarks>
/// Only a body that says <c>Content-Type: application/json</c> is read (OpenAI's API asks the same): a
/// page on another site cannot send that without the browser asking first, so a stranger's form cannot
/// spend a signed-in person's budget; and curl's <c>-d</c> alone, which says form data, gets a 415 that
/// names the header instead of a guess at what was meant.
/// </remarks>
public static class RequestBody
{
    public sealed record Failure(int Status, string Message);

    public static async Task<(T? Body, Failure? Failure)> ReadJsonAsync<T>(HttpRequest request, int maxBytes, JsonSerializerOptions json, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, new Failure(StatusCodes.Status415UnsupportedMediaType,
                "Send the body as JSON with the header Content-Type: application/json."));
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
