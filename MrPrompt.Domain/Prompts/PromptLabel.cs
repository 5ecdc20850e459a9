namespace MrPrompt.Domain.Prompts;

/// <summary>
/// A name (<c>production</c>, <c>staging</c> or any other) pointing at one version of a prompt. It
/// moves only when someone moves it, so what production runs never changes by accident.
/// </summary>
public sealed class PromptLabel
{
    public const string Production = "production";
    public const string Staging = "staging";

    public Guid PromptId { get; set; }
    public string Name { get; set; } = "";
    public Guid VersionId { get; set; }
    public Guid MovedBy { get; set; }
    public DateTimeOffset MovedAt { get; set; }
}
