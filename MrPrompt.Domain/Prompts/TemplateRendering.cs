namespace MrPrompt.Domain.Prompts;

/// <summary>
/// The text a template rendered to; or every required variable that had no value; or, when the text
/// would pass <see cref="OverLimit"/> characters, that it was stopped there (a short template and a
/// long value can otherwise build gigabytes before any other limit looks at them).
/// </summary>
public sealed record TemplateRendering(string? Text, IReadOnlyList<string> MissingVariables, int? OverLimit = null)
{
    public bool Succeeded => MissingVariables.Count == 0 && OverLimit is null;

    public string? Problem => Succeeded ? null
        : OverLimit is { } limit ? $"The prompt would render to more than {limit:N0} characters, the most a prompt may have (Prompts__MaxRenderedLength)."
        : MissingVariables.Count == 1 ? $"The variable '{MissingVariables[0]}' has no value."
        : $"These variables have no value: {string.Join(", ", MissingVariables.Select(v => $"'{v}'"))}.";
}
