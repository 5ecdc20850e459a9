using Bunit;
using MrPrompt.Domain.Prompts;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Pages.Prompts;

namespace MrPrompt.Tests.Components;

/// <summary>The side-by-side diff marks what changed between two versions and nothing else.</summary>
public sealed class VersionDiffTests : IAsyncDisposable
{
    private readonly BunitContext _context = MudComponents.CreateContext();

    private static PromptVersion Version(int number, string template, string? model = null) =>
        new() { Id = Guid.NewGuid(), Number = number, SystemPrompt = "Be brief.", UserTemplate = template, Model = model };

    [Fact]
    public void Changed_lines_are_marked_on_both_sides_and_unchanged_ones_are_not()
    {
        var versions = new[] { Version(2, "Plan a weekend in {{city}}.", "openai/gpt-4o"), Version(1, "Plan a day in {{city}}.") };

        var diff = _context.Render<VersionDiff>(p => p.Add(d => d.Versions, versions).Add(d => d.Left, 1).Add(d => d.Right, 2));

        var left = diff.Find("[data-testid=diff-left-pane]");
        var right = diff.Find("[data-testid=diff-right-pane]");
        Assert.Contains("Plan a day in {{city}}.", left.QuerySelectorAll(".mrp-diff-modified").Select(e => e.TextContent));
        Assert.Contains("Plan a weekend in {{city}}.", right.QuerySelectorAll(".mrp-diff-modified").Select(e => e.TextContent));
        Assert.Contains("Model: openai/gpt-4o", right.QuerySelectorAll(".mrp-diff-modified").Select(e => e.TextContent));
        Assert.DoesNotContain("Be brief.", left.QuerySelectorAll(".mrp-diff-modified, .mrp-diff-deleted").Select(e => e.TextContent));
    }

    [Fact]
    public void Inside_a_changed_line_only_the_changed_words_are_marked()
    {
        var versions = new[] { Version(2, "Plan a relaxed weekend in {{city}} with friends."), Version(1, "Plan a day in {{city}} with friends.") };

        var diff = _context.Render<VersionDiff>(p => p.Add(d => d.Versions, versions).Add(d => d.Left, 1).Add(d => d.Right, 2));

        var removed = diff.Find("[data-testid=diff-left-pane]").QuerySelectorAll(".mrp-diff-word-deleted, .mrp-diff-word-modified").Select(e => e.TextContent.Trim()).Where(t => t.Length > 0);
        var added = diff.Find("[data-testid=diff-right-pane]").QuerySelectorAll(".mrp-diff-word-inserted, .mrp-diff-word-modified").Select(e => e.TextContent.Trim()).Where(t => t.Length > 0);
        Assert.Equal(["day"], removed);
        Assert.Equal(["relaxed", "weekend"], added);
        // The line reads whole, words and spaces in place.
        Assert.Contains("Plan a relaxed weekend in {{city}} with friends.", diff.Find("[data-testid=diff-right-pane]").QuerySelectorAll(".mrp-diff-modified").Select(e => e.TextContent));
    }

    [Fact]
    public void Template_text_is_shown_as_text_never_as_markup()
    {
        var versions = new[] { Version(2, "<img src=x onerror=alert(1)> {{a}}"), Version(1, "{{a}}") };

        var diff = _context.Render<VersionDiff>(p => p.Add(d => d.Versions, versions).Add(d => d.Left, 1).Add(d => d.Right, 2));

        Assert.Empty(diff.FindAll("img"));
        Assert.Contains("<img src=x onerror=alert(1)> {{a}}", diff.Find("[data-testid=diff-right-pane]").TextContent, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
