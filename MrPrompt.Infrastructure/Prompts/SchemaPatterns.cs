using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using NJsonSchema;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>
/// The <c>pattern</c>s of a schema, checked on .NET's non-backtracking engine. NJsonSchema matches them
/// with <c>Regex.IsMatch</c>, the backtracking engine, where <c>^(a+)+$</c> against a long string in a
/// model's answer runs for seconds; so they are taken out of the schema before NJsonSchema validates,
/// and checked here wherever an answer's values meet them: through properties, patternProperties,
/// additionalProperties, items, additionalItems, allOf and <c>$ref</c>. Patterns under anyOf, oneOf,
/// not and the like are refused when a schema is saved (<see cref="Unfollowed"/>).
/// </summary>
internal sealed class SchemaPatterns
{
    /// <summary>The keywords whose sub-schemas apply only conditionally: a pattern there is not followed.</summary>
    public static readonly IReadOnlySet<string> Unfollowed = new HashSet<string>(StringComparer.Ordinal)
    {
        "anyOf", "oneOf", "not", "if", "then", "else", "contains", "propertyNames", "dependencies",
    };

    private const int MaxDepth = 64;
    private static readonly ConcurrentDictionary<string, Regex> Compiled = new(StringComparer.Ordinal);
    private readonly Dictionary<JsonSchema, string> _patterns;

    private SchemaPatterns(Dictionary<JsonSchema, string> patterns) => _patterns = patterns;

    /// <summary>Removes every pattern from <paramref name="schema"/> (a copy loaded for one check) and keeps them here.</summary>
    public static SchemaPatterns TakeOut(JsonSchema schema)
    {
        var patterns = new Dictionary<JsonSchema, string>(ReferenceEqualityComparer.Instance);
        var seen = new HashSet<JsonSchema>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<JsonSchema>([schema]);
        while (pending.TryPop(out var next))
        {
            var current = next.ActualSchema;
            if (!seen.Add(current))
            {
                continue;
            }
            if (!string.IsNullOrEmpty(current.Pattern))
            {
                patterns[current] = current.Pattern;
                current.Pattern = null;
            }
            foreach (var child in Children(current))
            {
                pending.Push(child);
            }
        }
        return new SchemaPatterns(patterns);
    }

    /// <summary>Where <paramref name="token"/>'s strings do not match the patterns that apply to them.</summary>
    public IReadOnlyList<string> Check(JsonSchema schema, JToken token)
    {
        var errors = new List<string>();
        if (_patterns.Count > 0)
        {
            Check(schema, token, errors, 0);
        }
        return errors;
    }

    private void Check(JsonSchema schema, JToken token, List<string> errors, int depth)
    {
        var current = schema.ActualSchema;
        if (depth > MaxDepth)
        {
            return;
        }
        if (token.Type == JTokenType.String && _patterns.TryGetValue(current, out var pattern) && !Regex(pattern).IsMatch(token.Value<string>()!))
        {
            errors.Add($"{(token.Path.Length == 0 ? "the root" : token.Path)}: does not match the pattern {(pattern.Length > 40 ? pattern[..40] + "…" : pattern)}");
        }
        switch (token)
        {
            case JObject item:
                foreach (var property in item.Properties())
                {
                    var matched = false;
                    if (current.Properties.TryGetValue(property.Name, out var named))
                    {
                        Check(named, property.Value, errors, depth + 1);
                        matched = true;
                    }
                    foreach (var (namePattern, byPattern) in current.PatternProperties)
                    {
                        if (Regex(namePattern).IsMatch(property.Name))
                        {
                            Check(byPattern, property.Value, errors, depth + 1);
                            matched = true;
                        }
                    }
                    if (!matched && current.AdditionalPropertiesSchema is { } additional)
                    {
                        Check(additional, property.Value, errors, depth + 1);
                    }
                }
                break;
            case JArray list:
                var tuple = current.Items.ToList();
                for (var i = 0; i < list.Count; i++)
                {
                    var itemSchema = current.Item ?? (i < tuple.Count ? tuple[i] : current.AdditionalItemsSchema);
                    if (itemSchema is not null)
                    {
                        Check(itemSchema, list[i], errors, depth + 1);
                    }
                }
                break;
        }
        foreach (var all in current.AllOf)
        {
            Check(all, token, errors, depth + 1);
        }
    }

    private static IEnumerable<JsonSchema> Children(JsonSchema schema) =>
        schema.Properties.Values
            .Concat(schema.PatternProperties.Values)
            .Concat(schema.AllOf).Concat(schema.AnyOf).Concat(schema.OneOf).Concat(schema.Items)
            .Concat(schema.Definitions.Values)
            .Concat(new[] { schema.Item, schema.AdditionalPropertiesSchema, schema.AdditionalItemsSchema, schema.Not }.OfType<JsonSchema>());

    private static Regex Regex(string pattern)
    {
        if (Compiled.Count > 1_000)
        {
            Compiled.Clear(); // patterns come from people's schemas: no unbounded cache
        }
        return Compiled.GetOrAdd(pattern, static p => new Regex(p, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant));
    }
}
