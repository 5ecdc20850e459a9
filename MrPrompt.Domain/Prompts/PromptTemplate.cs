using System.Text;

namespace MrPrompt.Domain.Prompts;

/// <summary>
/// A prompt template parsed once: literal text and <c>{{ path }}</c> placeholders, where a path may be
/// nested (<c>{{listing.address.city}}</c>) and <c>{{ name | default: "x" }}</c> makes a variable
/// optional. <c>\{{</c> writes a literal <c>{{</c>. Unlike a regex interpolation that keeps unknown
/// placeholders, a variable without a value is an error naming it, never a placeholder left in the
/// text sent to a model (docs/contracts.md, "Prompt templates").
/// </summary>
public sealed class PromptTemplate
{
    private const string Open = "{{";
    private const string Close = "}}";
    private const string EscapedOpen = "\\{{";

    /// <summary>More errors than this are not listed: the first ones are what an author fixes first.</summary>
    public const int MaxReportedErrors = 20;

    private readonly IReadOnlyList<Part> _parts;

    private PromptTemplate(string source, IReadOnlyList<Part> parts)
    {
        Source = source;
        _parts = parts;
        Variables = parts.OfType<Placeholder>()
            .GroupBy(p => p.Path, StringComparer.Ordinal)
            // A variable is optional only when every use of it has a default.
            .Select(g => new TemplateVariable(g.Key, g.All(p => p.Default is not null) ? g.First(p => p.Default is not null).Default : null))
            .ToList();
    }

    public string Source { get; }

    /// <summary>Each variable once, in the order it first appears.</summary>
    public IReadOnlyList<TemplateVariable> Variables { get; }

    /// <summary>
    /// Parses <paramref name="source"/> in one linear pass; the result lists the syntax errors (up to
    /// <see cref="MaxReportedErrors"/>), not just the first.
    /// </summary>
    public static TemplateParse Parse(string? source)
    {
        source ??= "";
        var parts = new List<Part>();
        var errors = new List<TemplateSyntaxError>();
        var literal = new StringBuilder();
        var position = new SourcePosition(source);
        var close = -1;
        var i = 0;
        while (i < source.Length && errors.Count < MaxReportedErrors)
        {
            if (string.CompareOrdinal(source, i, EscapedOpen, 0, EscapedOpen.Length) == 0)
            {
                literal.Append(Open);
                i += EscapedOpen.Length;
                continue;
            }
            if (string.CompareOrdinal(source, i, Open, 0, Open.Length) != 0)
            {
                literal.Append(source[i]);
                i++;
                continue;
            }

            // The next '}}' is found once and reused until passed, so a run of '{{' costs linear time.
            if (close < i + Open.Length)
            {
                close = source.IndexOf(Close, i + Open.Length, StringComparison.Ordinal);
            }
            if (close < 0)
            {
                errors.Add(position.ErrorAt(i, "'{{' is never closed with '}}'. Write \\{{ for a literal '{{'."));
                break;
            }
            var nextOpen = source.IndexOf(Open, i + Open.Length, close - i - Open.Length, StringComparison.Ordinal);
            if (nextOpen >= 0)
            {
                errors.Add(position.ErrorAt(i, "'{{' is not closed before the next '{{'. Write \\{{ for a literal '{{'."));
                i = nextOpen;
                continue;
            }

            var inner = source[(i + Open.Length)..close];
            if (ParsePlaceholder(inner) is { } problem)
            {
                errors.Add(position.ErrorAt(i, problem));
            }
            else
            {
                if (literal.Length > 0)
                {
                    parts.Add(new Literal(literal.ToString()));
                    literal.Clear();
                }
                parts.Add(ToPlaceholder(inner));
            }
            i = close + Close.Length;
        }
        if (literal.Length > 0)
        {
            parts.Add(new Literal(literal.ToString()));
        }
        return errors.Count > 0 ? new TemplateParse(null, errors) : new TemplateParse(new PromptTemplate(source, parts), []);
    }

    /// <summary>
    /// Fills the placeholders from <paramref name="values"/>, whose nested objects are dictionaries
    /// (or JSON objects). Either the whole text, or the list of every required variable without a value.
    /// </summary>
    /// <summary>
    /// The template with <paramref name="values"/> in place. Stops, without building the rest, as soon as
    /// the text would pass <paramref name="maxLength"/> characters.
    /// </summary>
    public TemplateRendering Render(IReadOnlyDictionary<string, object?> values, int maxLength = int.MaxValue)
    {
        var text = new StringBuilder(Math.Min(Source.Length, maxLength));
        List<string>? missing = null;
        // A variable used many times is formatted once.
        Dictionary<string, string>? formatted = null;
        foreach (var part in _parts)
        {
            string? piece = null;
            switch (part)
            {
                case Literal literal:
                    piece = literal.Text;
                    break;
                case Placeholder placeholder when TemplateValues.Find(values, placeholder.Segments) is { } value:
                    formatted ??= new Dictionary<string, string>(StringComparer.Ordinal);
                    if (!formatted.TryGetValue(placeholder.Path, out piece))
                    {
                        piece = TemplateValues.Format(value);
                        formatted[placeholder.Path] = piece;
                    }
                    break;
                case Placeholder { Default: { } fallback }:
                    piece = fallback;
                    break;
                case Placeholder placeholder:
                    missing ??= [];
                    if (!missing.Contains(placeholder.Path, StringComparer.Ordinal))
                    {
                        missing.Add(placeholder.Path);
                    }
                    break;
            }
            if (piece is not null)
            {
                if (piece.Length > maxLength - text.Length)
                {
                    return new TemplateRendering(null, [], maxLength);
                }
                text.Append(piece);
            }
        }
        return missing is null ? new TemplateRendering(text.ToString(), []) : new TemplateRendering(null, missing);
    }

    /// <summary>Null when <paramref name="inner"/> (the text between the braces) is a valid placeholder, else the problem.</summary>
    private static string? ParsePlaceholder(string inner)
    {
        var bar = inner.IndexOf('|', StringComparison.Ordinal);
        var path = (bar < 0 ? inner : inner[..bar]).Trim();
        if (path.Length == 0)
        {
            return "A placeholder needs a variable name, as in {{name}}.";
        }
        if (!IsValidPath(path))
        {
            return $"'{Shorten(path)}' is not a valid variable name: use letters, digits, '_' and '-', with '.' between nested names.";
        }
        if (bar >= 0 && ParseDefault(inner[(bar + 1)..]) is null)
        {
            return $"After '|' only a default is allowed, written as {{{{{path} | default: \"text\"}}}}.";
        }
        return null;
    }

    private static Placeholder ToPlaceholder(string inner)
    {
        var bar = inner.IndexOf('|', StringComparison.Ordinal);
        var path = (bar < 0 ? inner : inner[..bar]).Trim();
        return new Placeholder(path, path.Split('.'), bar < 0 ? null : ParseDefault(inner[(bar + 1)..]));
    }

    /// <summary>The text of <c>default: "x"</c> (or single quotes, with backslash escapes), or null when the filter is anything else.</summary>
    private static string? ParseDefault(string filter)
    {
        var rest = filter.Trim();
        const string name = "default";
        if (!rest.StartsWith(name, StringComparison.Ordinal))
        {
            return null;
        }
        rest = rest[name.Length..].TrimStart();
        if (!rest.StartsWith(':'))
        {
            return null;
        }
        rest = rest[1..].Trim();
        if (rest.Length < 2 || (rest[0] != '"' && rest[0] != '\'') || rest[^1] != rest[0])
        {
            return null;
        }
        var quote = rest[0];
        var value = new StringBuilder();
        for (var i = 1; i < rest.Length - 1; i++)
        {
            var c = rest[i];
            if (c == '\\' && i + 1 < rest.Length - 1)
            {
                value.Append(rest[++i]);
            }
            else if (c == quote)
            {
                return null; // a quote inside the default ends it early: "a"b"
            }
            else
            {
                value.Append(c);
            }
        }
        return value.ToString();
    }

    private static bool IsValidPath(string path) =>
        path.Split('.').All(segment => segment.Length > 0 && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'));

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>Turns offsets into line and column, scanning forward only: errors are reported in order.</summary>
    private sealed class SourcePosition(string source)
    {
        private int _scanned;
        private int _line = 1;
        private int _lineStart;

        public TemplateSyntaxError ErrorAt(int index, string problem)
        {
            for (; _scanned < index; _scanned++)
            {
                if (source[_scanned] == '\n')
                {
                    _line++;
                    _lineStart = _scanned + 1;
                }
            }
            return new TemplateSyntaxError(_line, index - _lineStart + 1, problem);
        }
    }

    private abstract record Part;

    private sealed record Literal(string Text) : Part;

    private sealed record Placeholder(string Path, string[] Segments, string? Default) : Part;
}
