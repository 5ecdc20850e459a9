namespace MrPrompt.Domain.Prompts;

/// <summary>The text a template rendered to, or every required variable that had no value.</summary>
public sealed record TemplateRendering(string? Text, IReadOnlyList<string> MissingVariables)
{
    public bool Succeeded => MissingVariables.Count == 0;

    public string? Problem => Succeeded ? null
        : MissingVariables.Count == 1 ? $"The variable '{MissingVariables[0]}' has no value."
        : $"These variables have no value: {string.Join(", ", MissingVariables.Select(v => $"'{v}'"))}.";
}
