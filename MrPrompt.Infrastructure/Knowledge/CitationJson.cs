using System.Text.Json;
using MrPrompt.Domain.Knowledge;

namespace MrPrompt.Infrastructure.Knowledge;

/// <summary>A message's citations as stored in <c>messages.citations</c> (jsonb, camelCase).</summary>
public static class CitationJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Write(IReadOnlyList<Citation> citations) => JsonSerializer.Serialize(citations, Options);

    /// <summary>The citations of a message; none when it has none (or they cannot be read).</summary>
    public static IReadOnlyList<Citation> Read(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }
        try
        {
            return JsonSerializer.Deserialize<List<Citation>>(json, Options) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
