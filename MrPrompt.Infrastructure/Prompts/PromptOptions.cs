using System.ComponentModel.DataAnnotations;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>The <c>Prompts</c> section.</summary>
public sealed class PromptOptions
{
    public const string SectionName = "Prompts";

    /// <summary>
    /// The most characters a rendered prompt (system and user text together) may have: far above any
    /// model's context (about 8 MB of UTF-8 at most), and what stops a short template and a long value
    /// from building gigabytes.
    /// </summary>
    [Range(10_000, 100_000_000)]
    public int MaxRenderedLength { get; set; } = 2_000_000;
}
