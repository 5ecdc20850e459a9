namespace MrPrompt.Domain.Prompts;

/// <summary>A parsed template, or every syntax error found in the text.</summary>
public sealed record TemplateParse(PromptTemplate? Template, IReadOnlyList<TemplateSyntaxError> Errors)
{
    public bool Succeeded => Template is not null;
}
