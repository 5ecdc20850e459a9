namespace MrPrompt.Domain.Prompts;

/// <summary>One mistake in a template, placed by line and column (both from 1) so an author can find it.</summary>
public sealed record TemplateSyntaxError(int Line, int Column, string Problem)
{
    public string Message => $"Line {Line}, column {Column}: {Problem}";

    public override string ToString() => Message;
}
