using System.Text.Json;
using System.Text.RegularExpressions;
using NJsonSchema;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>
/// JSON Schema checks with NJsonSchema: a prompt's schema against the draft-07 meta-schema when it is
/// saved, and a model's answer against the prompt's schema when it arrives. Schemas come from users,
/// so two things NJsonSchema would do with them are refused first: fetching a <c>$ref</c> from the
/// network (the server would request any address an author writes) and running a regular expression
/// that does not compile or could run away.
/// </summary>
public static class JsonSchemaRules
{
    private static readonly Lazy<JsonSchema> MetaSchema = new(LoadMetaSchema);
    private static readonly TimeSpan PatternCheckTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Null when <paramref name="schemaText"/> is a JSON Schema we can validate against, else what is wrong with it.</summary>
    public static async Task<string?> ValidateSchemaAsync(string schemaText)
    {
        ICollection<NJsonSchema.Validation.ValidationError> errors;
        try
        {
            errors = MetaSchema.Value.Validate(schemaText);
        }
        catch (Newtonsoft.Json.JsonException ex)
        {
            return $"The schema is not valid JSON: {ex.Message}";
        }
        if (errors.Count > 0)
        {
            return "This is not a valid JSON Schema: " + string.Join("; ", errors.Take(5).Select(Describe)) + ".";
        }
        if (UnsafePart(schemaText) is { } unsafePart)
        {
            return unsafePart;
        }
        try
        {
            await JsonSchema.FromJsonAsync(schemaText);
            return null;
        }
        catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or InvalidOperationException or NotSupportedException)
        {
            return $"The schema could not be read ({ex.Message}). Boolean sub-schemas such as true are not supported: write {{}} instead.";
        }
    }

    /// <summary>Checks a model's answer: JSON at all, and when a schema is given, JSON that follows it.</summary>
    public static async Task<JsonCheck> CheckAnswerAsync(string answer, string? schemaText)
    {
        var json = StripCodeFence(answer);
        try
        {
            Newtonsoft.Json.Linq.JToken.Parse(json);
        }
        catch (Newtonsoft.Json.JsonException ex)
        {
            return new JsonCheck(false, [$"The answer is not valid JSON: {ex.Message}"]);
        }
        if (string.IsNullOrWhiteSpace(schemaText))
        {
            return new JsonCheck(true, []);
        }
        // Stored schemas passed these checks when saved; checking again costs little and guards older rows.
        if (UnsafePart(schemaText) is { } unsafePart)
        {
            return new JsonCheck(false, [unsafePart]);
        }
        try
        {
            var schema = await JsonSchema.FromJsonAsync(schemaText);
            var patterns = SchemaPatterns.TakeOut(schema);
            var errors = schema.Validate(json).Select(Describe).ToList();
            errors.AddRange(patterns.Check(schema, Newtonsoft.Json.Linq.JToken.Parse(json)));
            return new JsonCheck(errors.Count == 0, errors);
        }
        catch (Exception ex) when (ex is RegexMatchTimeoutException or ArgumentException or Newtonsoft.Json.JsonException or InvalidOperationException)
        {
            return new JsonCheck(false, [$"The answer could not be checked against the schema: {ex.Message}"]);
        }
    }

    /// <summary>
    /// Null when every <c>$ref</c> points inside the schema and every <c>pattern</c> compiles, else the
    /// problem. Patterns must also compile for the non-backtracking engine, which rules out the
    /// constructs (backreferences, lookarounds) that make catastrophic backtracking possible.
    /// </summary>
    internal static string? UnsafePart(string schemaText)
    {
        try
        {
            using var document = JsonDocument.Parse(schemaText);
            return UnsafePart(document.RootElement);
        }
        catch (JsonException ex)
        {
            return $"The schema is not valid JSON: {ex.Message}";
        }
    }

    /// <param name="conditional">Inside anyOf, oneOf, not or the like, where <see cref="SchemaPatterns"/> does not follow.</param>
    private static string? UnsafePart(JsonElement element, bool conditional = false)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var problem = property.Name switch
                    {
                        "$ref" when property.Value.ValueKind != JsonValueKind.String || !property.Value.GetString()!.StartsWith('#') =>
                            "A $ref can only point inside the schema (starting with #); references to other documents are not fetched.",
                        "pattern" when property.Value.ValueKind == JsonValueKind.String && conditional =>
                            "A pattern inside anyOf, oneOf, not, if, then, else, contains, propertyNames or dependencies is not supported.",
                        "pattern" when property.Value.ValueKind == JsonValueKind.String => PatternProblem(property.Value.GetString()!),
                        "patternProperties" when property.Value.ValueKind == JsonValueKind.Object =>
                            property.Value.EnumerateObject().Select(p => PatternProblem(p.Name)).FirstOrDefault(p => p is not null),
                        _ => null,
                    };
                    if ((problem ?? UnsafePart(property.Value, conditional || SchemaPatterns.Unfollowed.Contains(property.Name))) is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Array:
                return element.EnumerateArray().Select(e => UnsafePart(e, conditional)).FirstOrDefault(p => p is not null);
            default:
                return null;
        }
    }

    private static string? PatternProblem(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.NonBacktracking, PatternCheckTimeout);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return $"The pattern '{(pattern.Length > 40 ? pattern[..40] + "…" : pattern)}' cannot be used: {ex.Message} Backreferences and lookarounds are not supported.";
        }
    }

    /// <summary>Models often wrap JSON in a ```json fence even when asked not to; the fence is not part of the answer.</summary>
    private static string StripCodeFence(string answer)
    {
        var text = answer.Trim();
        if (!text.StartsWith("```", StringComparison.Ordinal) || !text.EndsWith("```", StringComparison.Ordinal) || text.Length < 6)
        {
            return text;
        }
        var firstLineEnd = text.IndexOf('\n', StringComparison.Ordinal);
        return firstLineEnd < 0 ? text : text[(firstLineEnd + 1)..^3].Trim();
    }

    private static string Describe(NJsonSchema.Validation.ValidationError error) =>
        $"{(string.IsNullOrEmpty(error.Path) || error.Path == "#" ? "the root" : error.Path)}: {Readable(error.Kind)}";

    private static string Readable(NJsonSchema.Validation.ValidationErrorKind kind)
    {
        var name = kind.ToString();
        var words = string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : c.ToString()));
        return char.ToLowerInvariant(words[0]) + words[1..];
    }

    private static JsonSchema LoadMetaSchema()
    {
        using var stream = typeof(JsonSchemaRules).Assembly.GetManifestResourceStream("MrPrompt.JsonSchemaMetaSchema")
            ?? throw new InvalidOperationException("The JSON Schema meta-schema is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return JsonSchema.FromJsonAsync(reader.ReadToEnd()).GetAwaiter().GetResult();
    }
}

/// <summary>Whether an answer is JSON that follows the prompt's schema, with the reasons when not.</summary>
public sealed record JsonCheck(bool IsValid, IReadOnlyList<string> Errors);
