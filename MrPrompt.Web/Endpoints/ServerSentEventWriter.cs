using System.Text;
using System.Text.Json;

namespace MrPrompt.Web.Endpoints;

/// <summary>Writes <c>text/event-stream</c> frames and flushes each one, so every token leaves as it arrives.</summary>
public sealed class ServerSentEventWriter(HttpResponse response, JsonSerializerOptions json)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _lastWrite = Environment.TickCount64;

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
            Interlocked.Exchange(ref _lastWrite, Environment.TickCount64);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Writes <paramref name="eventName"/> whenever the stream has been quiet for <paramref name="interval"/>,
    /// until cancelled; proxies and browsers close connections that stay silent too long.
    /// </summary>
    public async Task KeepAliveAsync(string eventName, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval / 4);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (Environment.TickCount64 - Interlocked.Read(ref _lastWrite) >= (long)interval.TotalMilliseconds)
                {
                    await WriteRawAsync(eventName, "{}", cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the stream ended or the client left
        }
        catch (IOException)
        {
            // the client left between two ticks
        }
    }
}
