using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MrPrompt.Tests.Support;

/// <summary>
/// A local stand-in for provider APIs that replays their recorded wire format
/// (MrPrompt.Tests/Fixtures/providers) over real HTTP, so the real SDKs are exercised end to end. Faults
/// queued with <see cref="Enqueue"/> apply to the next chat requests, one each.
/// </summary>
public sealed class FakeProviderServer : IAsyncDisposable
{
    public const string ValidKey = "sk-test-valid-0123456789abcd";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private FakeProviderServer(WebApplication app) => _app = app;

    /// <summary>Base address without /v1 (Anthropic's SDK form); OpenAI clients add /v1.</summary>
    public string BaseUrl { get; private set; } = "";

    public string OpenAIBaseUrl => BaseUrl + "/v1";

    /// <summary>
    /// 127.0.0.1 and this server's port: what Gateway:AllowedPrivateHosts names so that personal keys may
    /// point here, while any other port on loopback stays off limits.
    /// </summary>
    public string Authority => new Uri(BaseUrl).Authority;

    /// <summary>
    /// A base URL here whose every request is redirected to the same path without <c>/redirect</c>, on
    /// 127.0.0.1: a redirect to loopback that only a client following redirects would take.
    /// </summary>
    public string RedirectingOpenAIBaseUrl => BaseUrl + "/redirect/v1";

    /// <summary>Pause between replayed stream chunks.</summary>
    public TimeSpan ChunkDelay { get; set; }

    /// <summary>Pause <see cref="ChunkDelay"/> only before every n-th chunk (a short delay is a few ms on Linux whatever it asks).</summary>
    public int ChunkDelayEvery { get; set; } = 1;

    /// <summary>How long every stream waits before its first byte (a provider thinking).</summary>
    public TimeSpan FirstByteDelay { get; set; }

    /// <summary>
    /// Holds every OpenAI chat request for <paramref name="model"/> (the upstream id) until the returned gate is opened,
    /// before any queued fault applies: a slow provider the test decides the end of, without a clock.
    /// </summary>
    public TaskCompletionSource Hold(string model)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _held[model] = gate;
        return gate;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _held = new();

    /// <summary>Drop the final usage chunk of OpenAI streams, as some compatible servers do.</summary>
    public bool OmitUsage { get; set; }

    /// <summary>
    /// Starts each streamed OpenAI answer with "Answer N: " (N counting from 1), so alternatives written from
    /// the same recording can be told apart on a page.
    /// </summary>
    public bool NumberStreamedAnswers { get; set; }

    private int _streamedAnswers;

    public HashSet<string> AcceptedKeys { get; } = [ValidKey];

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public int ChatRequestCount => _requests.Count(r => r.IsChat);

    /// <summary>The embedding calls received, with their bodies.</summary>
    public IReadOnlyList<RecordedRequest> EmbeddingRequests => [.. _requests.Where(r => r.Path == "/v1/embeddings")];

    private readonly ConditionSignal _chatArrived = new();

    /// <summary>Completes once <see cref="ChatRequestCount"/> reaches <paramref name="count"/>: a signal, not a pause.</summary>
    public Task WaitForChatRequestsAsync(int count, CancellationToken cancellationToken) =>
        _chatArrived.WaitUntilAsync(() => ChatRequestCount >= count, cancellationToken);

    private void RecordChat(RecordedRequest request)
    {
        _requests.Enqueue(request);
        _chatArrived.Pulse();
    }

    /// <summary>Completes when a chat request's client went away while we were still answering it.</summary>
    public TaskCompletionSource<DateTimeOffset> ClientDisconnected { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Enqueue(params Fault[] faults)
    {
        foreach (var fault in faults)
        {
            _faults.Enqueue(fault);
        }
    }

    public void Reset()
    {
        _faults.Clear();
        _requests.Clear();
        _held.Clear();
        ChunkDelay = TimeSpan.Zero;
        ChunkDelayEvery = 1;
        FirstByteDelay = TimeSpan.Zero;
        OmitUsage = false;
        ClientDisconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static async Task<FakeProviderServer> StartAsync()
    {
        ProviderFixtures.EnsurePresent(); // a missing fixtures folder is one clear error, not a wall of 500s

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeProviderServer(app);
        app.MapPost("/v1/chat/completions", server.OpenAIChatAsync);
        app.MapPost("/v1/messages", server.AnthropicMessagesAsync);
        app.MapGet("/v1/models", server.ModelsAsync);
        app.MapPost("/v1/embeddings", server.OpenAIEmbeddingsAsync);
        app.Map("/redirect/{**rest}", (HttpContext context, string rest) =>
        {
            server._requests.Enqueue(new RecordedRequest(context.Request.Path, KeyOf(context), null, IsChat: false));
            return Results.Redirect($"http://127.0.0.1:{context.Connection.LocalPort}/{rest}", permanent: false, preserveMethod: true);
        });
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task OpenAIChatAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body);
        RecordChat(new RecordedRequest(context.Request.Path, KeyOf(context), body?.ToJsonString(), IsChat: true));
        if (!IsAuthorized(context))
        {
            await ReplayRecordedAsync(context, ProviderFixtures.OpenAISession("AuthFailure"));
            return;
        }
        if (body?["model"]?.GetValue<string>() is { } model && _held.TryGetValue(model, out var gate))
        {
            await gate.Task.WaitAsync(context.RequestAborted);
        }
        var fault = NextFault();
        if (await ApplyBeforeAnswerAsync(context, fault, anthropic: false))
        {
            return;
        }
        var streaming = body?["stream"]?.GetValue<bool>() == true;
        if (!streaming)
        {
            var json = body?["response_format"]?["type"]?.GetValue<string>() is "json_object" or "json_schema";
            await ReplayRecordedAsync(context, ProviderFixtures.OpenAISession(json ? "JsonResult" : "HelloWorldChat"));
            return;
        }
        var chunks = ProviderFixtures.OpenAIStreamChunks();
        if (OmitUsage)
        {
            chunks = chunks.Where(c => !c.Contains("\"usage\":{", StringComparison.Ordinal)).ToList();
        }
        if (NumberStreamedAnswers)
        {
            chunks = Numbered(chunks, Interlocked.Increment(ref _streamedAnswers));
        }
        await StreamAsync(context, chunks, fault);
    }

    /// <summary>
    /// OpenAI's embeddings: the recorded session replayed when asked for its own inputs; otherwise an answer of the
    /// recorded shape with a vector made from each input's hash (the same text always gets the same vector), as
    /// base64 or floats as the request asks (OpenAI's default is floats).
    /// </summary>
    private async Task OpenAIEmbeddingsAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body);
        _requests.Enqueue(new RecordedRequest(context.Request.Path, KeyOf(context), body?.ToJsonString(), IsChat: false));
        if (!IsAuthorized(context))
        {
            await ReplayRecordedAsync(context, ProviderFixtures.OpenAISession("AuthFailure"));
            return;
        }
        if (await ApplyBeforeAnswerAsync(context, NextFault(), anthropic: false))
        {
            return;
        }
        var recorded = ProviderFixtures.OpenAISession("MultipleEmbeddings");
        var inputs = body?["input"] is JsonArray array ? array.Select(i => i!.GetValue<string>()).ToList() : [body?["input"]?.GetValue<string>() ?? ""];
        var base64 = body?["encoding_format"]?.GetValue<string>() == "base64";
        var recordedInputs = recorded.GetProperty("RequestBody").GetProperty("input").EnumerateArray().Select(i => i.GetString()!).ToList();
        if (base64 && inputs.SequenceEqual(recordedInputs))
        {
            await ReplayRecordedAsync(context, recorded);
            return;
        }
        var dimensions = body?["dimensions"]?.GetValue<int>() ?? 16;
        var data = inputs.Select((text, index) =>
        {
            var vector = VectorOf(text, dimensions);
            return new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = index,
                ["embedding"] = base64 ? Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan())) : new JsonArray(vector.Select(v => (JsonNode)v).ToArray()),
            };
        });
        var tokens = inputs.Sum(i => i.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var answer = new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(data.ToArray<JsonNode>()),
            ["model"] = body?["model"]?.GetValue<string>(),
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    /// <summary>The recorded chunks with "Answer <paramref name="number"/>: " before the first text delta.</summary>
    private static List<string> Numbered(List<string> chunks, int number)
    {
        var numbered = new List<string>(chunks);
        for (var i = 0; i < numbered.Count; i++)
        {
            if (!numbered[i].StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }
            var json = numbered[i]["data: ".Length..].TrimEnd();
            var chunk = JsonNode.Parse(json)!;
            if (chunk["choices"]?[0]?["delta"]?["content"] is JsonValue content && content.GetValue<string>().Length > 0)
            {
                chunk["choices"]![0]!["delta"]!["content"] = $"Answer {number}: {content.GetValue<string>()}";
                numbered[i] = "data: " + chunk.ToJsonString() + numbered[i][("data: ".Length + json.Length)..];
                break;
            }
        }
        return numbered;
    }

    /// <summary>A vector from the text's hash: stable, and different for different texts.</summary>
    public static float[] VectorOf(string text, int dimensions)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Enumerable.Range(0, dimensions).Select(i => (hash[i % hash.Length] - 128) / 128f).ToArray();
    }

    private async Task AnthropicMessagesAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body);
        RecordChat(new RecordedRequest(context.Request.Path, KeyOf(context), body?.ToJsonString(), IsChat: true));
        if (!IsAuthorized(context))
        {
            await WriteErrorAsync(context, 401, anthropic: true, retryAfter: null);
            return;
        }
        var fault = NextFault();
        if (await ApplyBeforeAnswerAsync(context, fault, anthropic: true))
        {
            return;
        }
        if (body?["stream"]?.GetValue<bool>() != true)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(ProviderFixtures.AnthropicMessageJson());
            return;
        }
        var events = ProviderFixtures.AnthropicStreamEvents();
        if (fault is { Kind: FaultKind.StreamErrorAfter } streamError)
        {
            events = [.. events.Take(streamError.Count), """
                event: error
                data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}


                """.ReplaceLineEndings("\n")];
        }
        await StreamAsync(context, events, fault);
    }

    private async Task ModelsAsync(HttpContext context)
    {
        _requests.Enqueue(new RecordedRequest(context.Request.Path, KeyOf(context), null, IsChat: false));
        var anthropic = context.Request.Headers.ContainsKey("anthropic-version");
        if (!IsAuthorized(context))
        {
            if (anthropic)
            {
                await WriteErrorAsync(context, 401, anthropic: true, retryAfter: null);
            }
            else
            {
                await ReplayRecordedAsync(context, ProviderFixtures.OpenAISession("AuthFailure"));
            }
            return;
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(anthropic
            ? """{"data":[{"type":"model","id":"claude-3-opus-latest","display_name":"Claude 3 Opus","created_at":"2024-02-29T00:00:00Z"}],"has_more":false,"first_id":"claude-3-opus-latest","last_id":"claude-3-opus-latest"}"""
            : """{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"}]}""");
    }

    /// <summary>Faults that replace or delay the answer. True when the answer was replaced.</summary>
    private async Task<bool> ApplyBeforeAnswerAsync(HttpContext context, Fault? fault, bool anthropic)
    {
        switch (fault?.Kind)
        {
            case FaultKind.Status:
                await WriteErrorAsync(context, fault.Count, anthropic, fault.RetryAfter);
                return true;
            case FaultKind.SlowFirstByte:
                try
                {
                    await Task.Delay(fault.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    ClientDisconnected.TrySetResult(DateTimeOffset.UtcNow);
                    return true;
                }
                return false;
            default:
                return false;
        }
    }

    private async Task StreamAsync(HttpContext context, IReadOnlyList<string> chunks, Fault? fault)
    {
        if (FirstByteDelay > TimeSpan.Zero)
        {
            await Task.Delay(FirstByteDelay, context.RequestAborted);
        }
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        try
        {
            for (var i = 0; i < chunks.Count; i++)
            {
                if (fault is { Kind: FaultKind.CutAfter } cut && i == cut.Count)
                {
                    context.Abort(); // the connection drops mid-stream
                    return;
                }
                await context.Response.WriteAsync(chunks[i], context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                if (ChunkDelay > TimeSpan.Zero && i % ChunkDelayEvery == 0)
                {
                    await Task.Delay(ChunkDelay, context.RequestAborted);
                }
            }
        }
        catch (OperationCanceledException)
        {
            ClientDisconnected.TrySetResult(DateTimeOffset.UtcNow);
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, bool anthropic, string? retryAfter)
    {
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }
        context.Response.ContentType = "application/json";
        var (type, message) = status switch
        {
            401 => ("authentication_error", "invalid x-api-key"),
            404 => ("not_found_error", "model: not found"),
            429 => ("rate_limit_error", "Rate limit reached for requests"),
            529 => ("overloaded_error", "Overloaded"),
            _ => ("api_error", "The server had an error while processing your request."),
        };
        await context.Response.WriteAsync(anthropic
            ? JsonSerializer.Serialize(new { type = "error", error = new { type, message } })
            : JsonSerializer.Serialize(new { error = new { message, type, code = (string?)null } }));
    }

    private static async Task ReplayRecordedAsync(HttpContext context, JsonElement entry)
    {
        context.Response.StatusCode = entry.GetProperty("StatusCode").GetInt32();
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(entry.GetProperty("ResponseBody").GetRawText());
    }

    private Fault? NextFault() => _faults.TryDequeue(out var fault) ? fault : null;

    private bool IsAuthorized(HttpContext context) => KeyOf(context) is { } key && AcceptedKeys.Contains(key);

    private static string? KeyOf(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return authorization["Bearer ".Length..];
        }
        return context.Request.Headers["x-api-key"].FirstOrDefault();
    }
}

public sealed record RecordedRequest(string Path, string? ApiKey, string? Body, bool IsChat);

public enum FaultKind
{
    Status,
    SlowFirstByte,
    CutAfter,
    StreamErrorAfter,
}

/// <summary>One injected failure. <see cref="Count"/> is the status code or the number of chunks sent first.</summary>
public sealed record Fault(FaultKind Kind, int Count = 0, string? RetryAfter = null, TimeSpan Delay = default)
{
    public static Fault Status(int status, string? retryAfter = null) => new(FaultKind.Status, status, retryAfter);
    public static Fault SlowFirstByte(TimeSpan delay) => new(FaultKind.SlowFirstByte, Delay: delay);
    public static Fault CutAfter(int chunks) => new(FaultKind.CutAfter, chunks);
    public static Fault StreamErrorAfter(int events) => new(FaultKind.StreamErrorAfter, events);
}
