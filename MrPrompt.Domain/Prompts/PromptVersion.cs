namespace MrPrompt.Domain.Prompts;

/// <summary>
/// One saved state of a prompt (<c>prompt_versions</c>, with its model, sampling, response format and
/// data loaders; docs/contracts.md, "Tables"). Never changed after it is written: restoring an old version writes a new one.
/// </summary>
public sealed class PromptVersion
{
    public Guid Id { get; set; }
    public Guid PromptId { get; set; }

    /// <summary>1, 2, 3… per prompt.</summary>
    public int Number { get; set; }

    public string SystemPrompt { get; set; } = "";
    public string UserTemplate { get; set; } = "";

    /// <summary>"provider/model" to use when the caller names none.</summary>
    public string? Model { get; set; }

    public float? Temperature { get; set; }
    public int? MaxOutputTokens { get; set; }
    public PromptResponseFormat ResponseFormat { get; set; } = PromptResponseFormat.Text;

    /// <summary>The JSON Schema text when <see cref="ResponseFormat"/> is <see cref="PromptResponseFormat.JsonSchema"/>.</summary>
    public string? JsonSchema { get; set; }

    /// <summary>Keys of the data loaders that fill variables with the caller's own data.</summary>
    public List<string> DataLoaders { get; set; } = [];

    public string ChangeNote { get; set; } = "";
    public Guid AuthorId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>A version holding <paramref name="content"/>, cleaned up: no blank model, the schema only with its format, each loader once.</summary>
    public static PromptVersion Of(PromptContent content) => new()
    {
        SystemPrompt = content.SystemPrompt,
        UserTemplate = content.UserTemplate,
        Model = string.IsNullOrWhiteSpace(content.Model) ? null : content.Model.Trim(),
        Temperature = content.Temperature,
        MaxOutputTokens = content.MaxOutputTokens,
        ResponseFormat = content.ResponseFormat,
        JsonSchema = content.ResponseFormat == PromptResponseFormat.JsonSchema ? content.JsonSchema : null,
        DataLoaders = content.Loaders.Distinct(StringComparer.Ordinal).ToList(),
    };

    public PromptContent Content => new(SystemPrompt, UserTemplate, Model, Temperature, MaxOutputTokens, ResponseFormat, JsonSchema, DataLoaders);
}

public enum PromptResponseFormat
{
    Text,
    Json,
    JsonSchema,
}
