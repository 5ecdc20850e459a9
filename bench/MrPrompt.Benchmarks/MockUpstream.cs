using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MrPrompt.Benchmarks;

/// <summary>
/// A provider stand-in for the HTTP overhead benchmark: an OpenAI-compatible chat endpoint that answers
/// after 20 ms, or streams 64 chunks 20 ms apart (then the usage chunk and [DONE]). The model <c>quick</c>
/// streams a short answer all at once after 20 ms: a short job for the queue benchmark.
/// </summary>
public static class MockUpstream
{
    public const int Chunks = 64;
    public static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(20);

    private const string Answer = """
        {"id":"chatcmpl-bench","object":"chat.completion","created":1770000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock upstream."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5301;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapGet("/v1/models", () => Results.Text("""{"object":"list","data":[{"id":"m","object":"model","created":0,"owned_by":"bench"}]}""", "application/json"));
        app.MapPost("/v1/chat/completions", HandleAsync);
        await app.RunAsync();
        return 0;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        if (!body.Contains("\"stream\":true", StringComparison.Ordinal))
        {
            await Task.Delay(Pace, context.RequestAborted);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Answer, context.RequestAborted);
            return;
        }
        context.Response.ContentType = "text/event-stream";
        var id = "chatcmpl-bench";
        var quick = body.Contains("\"model\":\"quick\"", StringComparison.Ordinal);
        var chunks = quick ? 4 : Chunks;
        if (quick)
        {
            await Task.Delay(Pace, context.RequestAborted);
        }
        for (var i = 0; i < chunks; i++)
        {
            if (!quick)
            {
                await Task.Delay(Pace, context.RequestAborted);
            }
            var delta = i == 0 ? """{"role":"assistant","content":"w0 "}""" : $$"""{"content":"w{{i}} "}""";
            await WriteAsync(context, $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1770000000,"model":"m","choices":[{"index":0,"delta":{{delta}},"finish_reason":null}]}""");
        }
        await WriteAsync(context, $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1770000000,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""");
        var usage = $$"""{"prompt_tokens":12,"completion_tokens":{{chunks}},"total_tokens":{{chunks + 12}}}""";
        await WriteAsync(context, $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1770000000,"model":"m","choices":[],"usage":{{usage}} }""");
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }

    private static async Task WriteAsync(HttpContext context, string json)
    {
        await context.Response.WriteAsync("data: " + json + "\n\n", Encoding.UTF8, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }
}
