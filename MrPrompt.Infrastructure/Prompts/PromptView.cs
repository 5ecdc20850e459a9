using MrPrompt.Domain.Prompts;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>
/// A prompt as its page shows it: details, every version (newest first) and its labels. Code-defined
/// prompts have no id and a single version 1 without an id, as they are versioned with the application.
/// </summary>
public sealed record PromptView(
    Guid? Id,
    string Key,
    string Title,
    string Description,
    IReadOnlyList<string> Tags,
    PromptVisibility Visibility,
    string OwnerName,
    bool CanEdit,
    IReadOnlyList<PromptVersion> Versions,
    IReadOnlyList<PromptLabel> Labels)
{
    public bool IsCodeDefined => Id is null;

    public PromptVersion Latest => Versions[0];

    public PromptVersion? Version(int number) => Versions.FirstOrDefault(v => v.Number == number);

    public PromptVersion? Labelled(string label) =>
        Labels.FirstOrDefault(l => l.Name == label) is { } found ? Versions.FirstOrDefault(v => v.Id == found.VersionId) : null;

    /// <summary>What chat and the API run when no version or label is asked for: production, else the latest.</summary>
    public PromptVersion Default => Labelled(PromptLabel.Production) ?? Latest;

    public IEnumerable<string> LabelsOf(PromptVersion version) =>
        Labels.Where(l => l.VersionId == version.Id).Select(l => l.Name).Order(StringComparer.Ordinal);

    public static PromptView FromCode(CodePrompt prompt) => new(
        null, prompt.Key, prompt.Title, prompt.Description, prompt.Tags, PromptVisibility.Public, "MrPrompt", false,
        [CodeVersion(prompt.Content)],
        []);

    private static PromptVersion CodeVersion(PromptContent content)
    {
        var version = PromptVersion.Of(content);
        version.Number = 1;
        version.ChangeNote = "Defined in code; changes with the application.";
        return version;
    }
}

/// <summary>One line of the library list.</summary>
public sealed record PromptSummary(
    Guid? Id,
    string Key,
    string Title,
    string Description,
    IReadOnlyList<string> Tags,
    PromptVisibility Visibility,
    string OwnerName,
    bool IsMine,
    int LatestVersion,
    int? ProductionVersion,
    DateTimeOffset? UpdatedAt)
{
    public bool IsCodeDefined => Id is null;
}

public enum PromptScope
{
    /// <summary>The caller's own prompts, public ones and the built-in ones.</summary>
    All,
    Mine,
    Public,
}

/// <summary>What the library list is filtered by; <paramref name="ToSend"/> leaves out the prompts MrPrompt runs itself (the chat's picker).</summary>
public sealed record PromptQuery(string? Search = null, string? Tag = null, PromptScope Scope = PromptScope.All, bool ToSend = false);

/// <summary>Per-version figures from the usage log.</summary>
public sealed record PromptVersionStats(Guid VersionId, int Uses, double AverageTokens, int? P95LatencyMs, double ErrorRate, decimal? CostUsd);
