using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Prompts;

/// <summary>
/// A stored prompt template (<c>prompts</c>; docs/contracts.md, "Tables"): what it is called and who may see it. Its
/// content lives in immutable <see cref="PromptVersion"/>s; <see cref="LatestVersion"/> is the
/// highest number handed out, so concurrent saves each get the next one.
/// </summary>
public sealed class Prompt : IAuditable
{
    public Guid Id { get; set; }
    public Guid OwnerId { get; set; }

    /// <summary>The slug programs call it by (<c>prompt_key</c>; docs/contracts.md, "Gateway API"), unique per owner.</summary>
    public string Key { get; set; } = "";

    public string Title { get; set; } = "";
    public string Description { get; set; } = "";
    public List<string> Tags { get; set; } = [];
    public PromptVisibility Visibility { get; set; } = PromptVisibility.Private;
    public int LatestVersion { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum PromptVisibility
{
    Private,

    /// <summary>Everyone can read and duplicate it; only the owner can change it.</summary>
    Public,
}
