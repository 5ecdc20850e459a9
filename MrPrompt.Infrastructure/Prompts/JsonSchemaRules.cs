using NJsonSchema;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>
/// JSON Schema checks with NJsonSchema: a prompt's schema against the draft-07 meta-schema when it is
/// saved, and a model's answer against the prompt's schema when it arrives.
/// </summary>
public static class JsonSchemaRules
{
    private static readonly Lazy<JsonSchema> MetaSchema = new(LoadMetaSchema);

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
        var schema = await JsonSchema.FromJsonAsync(schemaText);
        var errors = schema.Validate(json);
        return new JsonCheck(errors.Count == 0, errors.Select(Describe).ToList());
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
