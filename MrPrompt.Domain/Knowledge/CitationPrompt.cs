using System.Text;

namespace MrPrompt.Domain.Knowledge;

/// <summary>
/// How retrieved passages reach the model: numbered, with where each comes from, after the chat's own system prompt,
/// and with the ask to cite them as [n] and to say when they do not hold the answer.
/// </summary>
public static class CitationPrompt
{
    public static string Instructions(IReadOnlyList<Citation> sources)
    {
        var text = new StringBuilder(
            "Answer from the numbered sources below when they hold the answer, and cite each source you use inline as [1], [2]. " +
            "If they do not hold the answer, say so before answering from what you know.\n");
        foreach (var source in sources)
        {
            text.Append('\n').Append('[').Append(source.Number).Append("] ").Append(source.DocumentTitle);
            if (source.Heading is { Length: > 0 } heading)
            {
                text.Append(" › ").Append(heading);
            }
            text.Append('\n').Append(source.Content).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The chat's system prompt, then the sources.</summary>
    public static string SystemText(string? systemPrompt, IReadOnlyList<Citation> sources) =>
        sources.Count == 0 ? systemPrompt ?? ""
        : string.IsNullOrWhiteSpace(systemPrompt) ? Instructions(sources)
        : $"{systemPrompt}\n\n{Instructions(sources)}";
}
