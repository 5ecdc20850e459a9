using System.Text;

namespace MrPrompt.Infrastructure.Chat;

/// <summary>
/// Turns what a person types into a search box into a Postgres tsquery: every word must match, each
/// as a prefix so results follow the typing. Only letters and digits pass, so no input can inject
/// tsquery syntax.
/// </summary>
public static class FullTextQuery
{
    private const int MaxTerms = 8;

    /// <summary>The tsquery text, or null when the input has nothing to search for.</summary>
    public static string? From(string? input)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return null;
        }
        var terms = new List<string>();
        var term = new StringBuilder();
        foreach (var c in input.Append(' '))
        {
            if (char.IsLetterOrDigit(c))
            {
                term.Append(char.ToLowerInvariant(c));
            }
            else if (term.Length > 0)
            {
                terms.Add(term.ToString());
                term.Clear();
            }
        }
        return terms.Count == 0 ? null : string.Join(" & ", terms.Distinct().Take(MaxTerms).Select(t => t + ":*"));
    }
}
