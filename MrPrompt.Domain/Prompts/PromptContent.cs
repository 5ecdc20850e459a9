using System.Text.Json;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Common;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Domain.Prompts;

/// <summary>What a version holds, as an author edits it. Both the system prompt and the user template may use variables.</summary>
public sealed record PromptContent(
    string SystemPrompt,
    string UserTemplate,
    string? Model = null,
    float? Temperature = null,
    int? MaxOutputTokens = null,
    PromptResponseFormat ResponseFormat = PromptResponseFormat.Text,
    string? JsonSchema = null,
    IReadOnlyList<string>? DataLoaders = null)
{
    public const int TemplateMaxLength = 100_000;
    public const int JsonSchemaMaxLength = 50_000;
    public const int ModelMaxLength = 300;

    public IReadOnlyList<string> Loaders => DataLoaders ?? [];

    /// <summary>
    /// Every problem with this content, by field. <paramref name="knownLoaders"/> are the keys of the
    /// registered data loaders; anything else is refused so a typo cannot silently load nothing.
    /// </summary>
    public FieldErrors Validate(IReadOnlySet<string> knownLoaders)
    {
        var errors = new FieldErrors();
        CheckTemplate(errors, nameof(SystemPrompt), "system prompt", SystemPrompt);
        CheckTemplate(errors, nameof(UserTemplate), "user template", UserTemplate);
        if (string.IsNullOrWhiteSpace(UserTemplate))
        {
            errors.Add(nameof(UserTemplate), "Write the user template: the message this prompt sends.");
        }
        if (!string.IsNullOrWhiteSpace(Model) && (Model.Length > ModelMaxLength || Model.Any(char.IsControl) || !ModelRef.TryParse(Model, out _)))
        {
            errors.Add(nameof(Model), "Name the model as provider/model, for example openai/gpt-4o-mini.");
        }
        if (Temperature is < 0 or > ChatRules.MaxTemperature)
        {
            errors.Add(nameof(Temperature), $"Temperature goes from 0 to {ChatRules.MaxTemperature:0}.");
        }
        if (MaxOutputTokens is < 1 or > SessionSettings.MaxOutputTokensLimit)
        {
            errors.Add(nameof(MaxOutputTokens), $"Max tokens goes from 1 to {SessionSettings.MaxOutputTokensLimit:N0}.");
        }
        foreach (var unknown in Loaders.Where(l => !knownLoaders.Contains(l)).Distinct(StringComparer.Ordinal))
        {
            errors.Add(nameof(DataLoaders), $"There is no data loader called '{unknown}'. Known loaders: {string.Join(", ", knownLoaders.Order(StringComparer.Ordinal))}.");
        }
        if (!Enum.IsDefined(ResponseFormat))
        {
            errors.Add(nameof(ResponseFormat), "The response format is Text, Json or JsonSchema.");
        }
        if (ResponseFormat == PromptResponseFormat.JsonSchema)
        {
            CheckSchemaShape(errors);
        }
        return errors;
    }

    /// <summary>Whether <paramref name="other"/> would be stored as the same version content.</summary>
    public bool SameAs(PromptContent other)
    {
        var (a, b) = (PromptVersion.Of(this), PromptVersion.Of(other));
        return a.SystemPrompt == b.SystemPrompt && a.UserTemplate == b.UserTemplate && a.Model == b.Model && a.Temperature == b.Temperature
            && a.MaxOutputTokens == b.MaxOutputTokens && a.ResponseFormat == b.ResponseFormat && a.JsonSchema == b.JsonSchema
            && a.DataLoaders.SequenceEqual(b.DataLoaders, StringComparer.Ordinal);
    }

    /// <summary>The variables of the system prompt and the user template together, each once; null when either does not parse.</summary>
    public IReadOnlyList<TemplateVariable>? Variables()
    {
        var system = PromptTemplate.Parse(SystemPrompt).Template;
        var user = PromptTemplate.Parse(UserTemplate).Template;
        if (system is null || user is null)
        {
            return null;
        }
        return system.Variables.Concat(user.Variables)
            .GroupBy(v => v.Path, StringComparer.Ordinal)
            .Select(g => g.All(v => !v.IsRequired) ? g.First() : g.First(v => v.IsRequired))
            .ToList();
    }

    private static void CheckTemplate(FieldErrors errors, string field, string name, string text)
    {
        if (text.Length > TemplateMaxLength)
        {
            errors.Add(field, $"The {name} can be at most {TemplateMaxLength:N0} characters; this one has {text.Length:N0}.");
            return;
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add(field, $"The {name} contains a NUL character, which cannot be stored.");
            return;
        }
        foreach (var error in PromptTemplate.Parse(text).Errors)
        {
            errors.Add(field, error.Message);
        }
    }

    /// <summary>The part of schema checking that needs no schema library: present, JSON, an object. The full check is against the JSON Schema meta-schema.</summary>
    private void CheckSchemaShape(FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(JsonSchema))
        {
            errors.Add(nameof(JsonSchema), "Paste the JSON Schema the answer must follow, or choose another response format.");
            return;
        }
        if (JsonSchema.Length > JsonSchemaMaxLength)
        {
            errors.Add(nameof(JsonSchema), $"The schema can be at most {JsonSchemaMaxLength:N0} characters.");
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(JsonSchema);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(nameof(JsonSchema), "A JSON Schema is a JSON object, starting with '{'.");
            }
        }
        catch (JsonException ex)
        {
            errors.Add(nameof(JsonSchema), $"The schema is not valid JSON: {ex.Message}");
        }
    }
}
