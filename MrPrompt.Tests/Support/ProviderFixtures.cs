using System.Text;
using System.Text.Json;

namespace MrPrompt.Tests.Support;

/// <summary>The recorded provider responses in MrPrompt.Tests/Fixtures/providers, and what they contain.</summary>
public static class ProviderFixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var path = System.IO.Path.Combine(RepositoryRoot.Path, "MrPrompt.Tests", "Fixtures", "providers");
        return Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"Provider fixtures not found at {path}.");
    });

    public static void EnsurePresent() => _ = Root.Value;

    public static JsonElement OpenAISession(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(Root.Value, "openai", name + ".json")));
        return document.RootElement.GetProperty("Entries")[0].Clone();
    }

    /// <summary>The answer of the recorded whole (non-streamed) completion.</summary>
    public static string OpenAIWholeText() =>
        OpenAISession("HelloWorldChat").GetProperty("ResponseBody").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    /// <summary>The SSE chunks of the recorded streamed completion, each "data: ...\n\n".</summary>
    public static List<string> OpenAIStreamChunks() =>
        OpenAISession("StreamingWithUsage").GetProperty("ResponseBody").EnumerateArray().Select(c => c.GetString()!).ToList();

    /// <summary>The text the recorded stream spells out, concatenated from its deltas.</summary>
    public static string OpenAIStreamText()
    {
        var text = new StringBuilder();
        foreach (var chunk in OpenAIStreamChunks().Where(c => c.StartsWith("data: {", StringComparison.Ordinal)))
        {
            using var json = JsonDocument.Parse(chunk["data: ".Length..]);
            foreach (var choice in json.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.GetProperty("delta").TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }
            }
        }
        return text.ToString();
    }

    /// <summary>Anthropic's recorded stream, one SSE event (with its blank line) per item.</summary>
    public static List<string> AnthropicStreamEvents() =>
        File.ReadAllText(System.IO.Path.Combine(Root.Value, "anthropic", "basic_response.txt")).ReplaceLineEndings("\n")
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e + "\n\n")
            .ToList();

    /// <summary>
    /// A non-streamed Messages API answer with the same content as the recorded stream (the fixtures
    /// record only streams), in the documented response shape.
    /// </summary>
    public static string AnthropicMessageJson() => """
        {"id":"msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK","type":"message","role":"assistant","model":"claude-3-opus-latest",
         "content":[{"type":"text","text":"Hello there!"}],"stop_reason":"end_turn","stop_sequence":null,
         "usage":{"input_tokens":11,"output_tokens":6}}
        """;
}
