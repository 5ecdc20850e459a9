using System.Text;
using System.Text.Json;

namespace MrPrompt.Web.Endpoints;

/// <summary>Writes <c>text/event-stream</c> frames and flushes each one, so every token leaves as it arrives.</summary>
public sealed class ServerSentEventWriter(HttpResponse response, JsonSerializerOptions json)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Headers for a live stream; nginx and similar proxies would otherwise buffer it.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(cancellationToken);
    }

    /// <summary>One frame; <paramref name="eventName"/> null writes a data-only frame (OpenAI's style).</summary>
    public Task WriteAsync<T>(string? eventName, T data, CancellationToken cancellationToken) =>
        WriteRawAsync(eventName, JsonSerializer.Serialize(data, json), cancellationToken);

    public async Task WriteRawAsync(string? eventName, string data, CancellationToken cancellationToken)
    {
        var frame = new StringBuilder();
        if (eventName is not null)
        {
            frame.Append("event: ").Append(eventName).Append('\n');
        }
        frame.Append("data: ").Append(data).Append("\n\n");
        // Keepalives come from a timer; frames must not interleave.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await response.WriteAsync(frame.ToString(), cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }
}
