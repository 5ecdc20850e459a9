using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace MrPrompt.Domain.Prompts;

/// <summary>
/// How template values are looked up and written: nested objects are dictionaries or JSON objects,
/// lists can be indexed (<c>items.0</c>), and every value is written culture-invariantly so a prompt
/// reads the same on every server.
/// </summary>
public static class TemplateValues
{
    /// <summary>Nested values from dotted paths, as a form delivers them: <c>user.name = Ada</c> becomes <c>{ user: { name: Ada } }</c>.</summary>
    public static Dictionary<string, object?> FromPaths(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var root = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (path, value) in entries)
        {
            var segments = path.Split('.');
            var node = root;
            foreach (var segment in segments[..^1])
            {
                if (node.GetValueOrDefault(segment) is not Dictionary<string, object?> child)
                {
                    child = new Dictionary<string, object?>(StringComparer.Ordinal);
                    node[segment] = child;
                }
                node = child;
            }
            node[segments[^1]] = value;
        }
        return root;
    }

    /// <summary><paramref name="overrides"/> laid over <paramref name="baseValues"/>: loaded data first, then the request's variables (docs/contracts.md, "Data loaders").</summary>
    public static Dictionary<string, object?> Merge(IReadOnlyDictionary<string, object?> baseValues, IReadOnlyDictionary<string, object?> overrides)
    {
        var merged = new Dictionary<string, object?>(baseValues, StringComparer.Ordinal);
        foreach (var (key, value) in overrides)
        {
            merged[key] = value;
        }
        return merged;
    }

    /// <summary>The value at <paramref name="path"/>, or null when any step is missing or null.</summary>
    public static object? Find(IReadOnlyDictionary<string, object?> values, IReadOnlyList<string> path)
    {
        object? current = values;
        foreach (var segment in path)
        {
            current = Step(current, segment);
            if (current is null)
            {
                return null;
            }
        }
        return current is JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } ? null : current;
    }

    /// <summary>A value as prompt text: strings as they are, numbers and dates invariant, lists comma-separated, objects as JSON.</summary>
    public static string Format(object value) => value switch
    {
        string text => text,
        bool flag => flag ? "true" : "false",
        JsonElement { ValueKind: JsonValueKind.String } json => json.GetString() ?? "",
        JsonElement { ValueKind: JsonValueKind.Array } json => string.Join(", ", json.EnumerateArray().Select(e => Format(e))),
        JsonElement json => json.GetRawText(),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        IDictionary or IReadOnlyDictionary<string, object?> => JsonSerializer.Serialize(value),
        IEnumerable items => string.Join(", ", items.Cast<object?>().Where(i => i is not null).Select(i => Format(i!))),
        _ => value.ToString() ?? "",
    };

    private static object? Step(object? current, string segment) => current switch
    {
        IReadOnlyDictionary<string, object?> map => map.GetValueOrDefault(segment),
        IDictionary<string, object?> map => map.TryGetValue(segment, out var value) ? value : null,
        JsonElement { ValueKind: JsonValueKind.Object } json => json.TryGetProperty(segment, out var property) ? property : null,
        JsonElement { ValueKind: JsonValueKind.Array } json when Index(segment) is { } index && index < json.GetArrayLength() => json[index],
        IList list when Index(segment) is { } index && index < list.Count => list[index],
        _ => null,
    };

    private static int? Index(string segment) =>
        int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
}
