using System.Buffers;
using System.Text;
using System.Text.Json;

namespace MrPrompt.Web.Endpoints;

/// <summary>
/// Writes <c>text/event-stream</c> frames and flushes each one, so every token leaves as it arrives.
/// A frame is serialized as UTF-8 into a buffer kept for the stream, then copied once into the response:
/// no string and no new buffer per chunk.
/// </summary>
public sealed class ServerSentEventWriter(HttpResponse response, JsonSerializerOptions json)
{
    private static readonly byte[] EventPrefix = "event: "u8.ToArray();
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ArrayBufferWriter<byte> _frame = new(512);
    private Utf8JsonWriter? _json;
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
    public async Task WriteAsync<T>(string? eventName, T data, CancellationToken cancellationToken)
    {
        // Keepalives come from a timer; frames must not interleave.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Serialized aside first: a value that fails to serialize leaves no half frame in the stream.
            _frame.ResetWrittenCount();
            if (_json is null)
            {
                _json = new Utf8JsonWriter(_frame, new JsonWriterOptions { Encoder = json.Encoder, SkipValidation = true });
            }
            else
            {
                _json.Reset(_frame);
            }
            JsonSerializer.Serialize(_json, data, json);
            _json.Flush();
            WriteHeader(eventName);
            var body = response.BodyWriter;
            body.Write(_frame.WrittenSpan);
            body.Write("\n\n"u8);
            await FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task WriteRawAsync(string? eventName, string data, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            WriteHeader(eventName);
            var body = response.BodyWriter;
            Encoding.UTF8.GetBytes(data, body);
            body.Write("\n\n"u8);
            await FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void WriteHeader(string? eventName)
    {
        var body = response.BodyWriter;
        if (eventName is not null)
        {
            body.Write(EventPrefix);
            Encoding.UTF8.GetBytes(eventName, body);
            body.Write("\n"u8);
        }
        body.Write(DataPrefix);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var flushed = await response.BodyWriter.FlushAsync(cancellationToken);
        if (flushed.IsCanceled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        Interlocked.Exchange(ref _lastWrite, Environment.TickCount64);
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
