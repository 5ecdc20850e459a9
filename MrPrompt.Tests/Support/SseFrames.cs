using System.Text.Json;

namespace MrPrompt.Tests.Support;

/// <summary>One server-sent event as a client reads it.</summary>
public sealed record SseFrame(string? Event, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();

    /// <summary>The frames of a whole <c>text/event-stream</c> body, in order.</summary>
    public static List<SseFrame> Parse(string body) =>
        body.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block =>
            {
                var lines = block.Split('\n');
                var name = lines.FirstOrDefault(l => l.StartsWith("event: ", StringComparison.Ordinal))?["event: ".Length..];
                var data = string.Join('\n', lines.Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l["data: ".Length..]));
                return new SseFrame(name, data);
            })
            .ToList();
}
