using System.Globalization;
using System.Text;
using MrPrompt.Domain.Prompts;

namespace MrPrompt.Web.Components.Pages.Prompts;

/// <summary>A version written out as plain text, section by section, so two versions can be compared line by line.</summary>
public static class PromptVersionText
{
    public static string For(PromptContent content)
    {
        var text = new StringBuilder()
            .AppendLine("# System prompt").AppendLine(content.SystemPrompt)
            .AppendLine("# User template").AppendLine(content.UserTemplate)
            .AppendLine("# Settings")
            .AppendLine($"Model: {(string.IsNullOrWhiteSpace(content.Model) ? "(none)" : content.Model)}")
            .AppendLine($"Temperature: {content.Temperature?.ToString(CultureInfo.InvariantCulture) ?? "(model default)"}")
            .AppendLine($"Max tokens: {content.MaxOutputTokens?.ToString(CultureInfo.InvariantCulture) ?? "(model default)"}")
            .AppendLine($"Response format: {content.ResponseFormat}")
            .AppendLine($"Data loaders: {(content.Loaders.Count == 0 ? "(none)" : string.Join(", ", content.Loaders))}");
        if (content.ResponseFormat == PromptResponseFormat.JsonSchema && content.JsonSchema is { } schema)
        {
            text.AppendLine("# JSON Schema").AppendLine(schema);
        }
        return text.ToString();
    }
}
