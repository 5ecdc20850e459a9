using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Prompts;

namespace MrPrompt.Web.Components.Pages.Prompts;

/// <summary>A prompt's details and the content of its next version, as the editor holds them.</summary>
public sealed class PromptFormModel
{
    public string Key { get; set; } = "";
    public string Title { get; set; } = "";
    public string? Description { get; set; }

    /// <summary>Comma-separated, as typed.</summary>
    public string Tags { get; set; } = "";

    public PromptVisibility Visibility { get; set; } = PromptVisibility.Private;

    public string SystemPrompt { get; set; } = "";
    public string UserTemplate { get; set; } = "";
    public string? Model { get; set; }
    public float? Temperature { get; set; }
    public int? MaxOutputTokens { get; set; }
    public PromptResponseFormat ResponseFormat { get; set; } = PromptResponseFormat.Text;
    public string? JsonSchema { get; set; }
    public IReadOnlyCollection<string> DataLoaders { get; set; } = [];
    public string? ChangeNote { get; set; }

    /// <summary>The details to save; an empty key becomes the one made from the title, as the form shows.</summary>
    public PromptDetails Details => new(
        string.IsNullOrWhiteSpace(Key) ? PromptRules.KeyFromTitle(Title) : Key, Title, Description, Tags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), Visibility);

    public PromptContent Content => new(
        SystemPrompt, UserTemplate, string.IsNullOrWhiteSpace(Model) ? null : Model, Temperature, MaxOutputTokens, ResponseFormat,
        ResponseFormat == PromptResponseFormat.JsonSchema ? JsonSchema : null, DataLoaders.ToList());

    public static PromptFormModel Of(PromptView prompt, PromptVersion version) => new()
    {
        Key = prompt.Key,
        Title = prompt.Title,
        Description = prompt.Description,
        Tags = string.Join(", ", prompt.Tags),
        Visibility = prompt.Visibility,
        SystemPrompt = version.SystemPrompt,
        UserTemplate = version.UserTemplate,
        Model = version.Model,
        Temperature = version.Temperature,
        MaxOutputTokens = version.MaxOutputTokens,
        ResponseFormat = version.ResponseFormat,
        JsonSchema = version.JsonSchema,
        DataLoaders = version.DataLoaders.ToList(),
    };
}
