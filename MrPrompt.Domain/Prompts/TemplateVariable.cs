namespace MrPrompt.Domain.Prompts;

/// <summary>
/// A variable a template uses: its dotted path (<c>user.firstName</c>) and, when every use of it gives
/// one, the default that makes it optional.
/// </summary>
public sealed record TemplateVariable(string Path, string? DefaultValue)
{
    public bool IsRequired => DefaultValue is null;

    /// <summary>The first name of the path, which is where a data loader's value would go.</summary>
    public string Root => Path.Split('.')[0];
}
