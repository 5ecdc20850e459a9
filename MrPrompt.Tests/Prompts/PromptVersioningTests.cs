using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Tests.Support;
using static MrPrompt.Tests.Prompts.PromptSamples;

namespace MrPrompt.Tests.Prompts;

/// <summary>Creating prompts, immutable versions, restore and labels on real Postgres.</summary>
public sealed class PromptVersioningTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<(Guid User, Guid Prompt)> NewPromptAsync(string userTemplate = "Describe {{listing.city}}.")
    {
        var user = await fixture.NewUserAsync();
        var created = await fixture.PromptEditor.CreateAsync(user, Details(), Content(userTemplate), "Initial", Token);
        Assert.True(created.Succeeded, created.Problem?.Message);
        return (user, created.Value);
    }

    [Fact]
    public async Task A_new_prompt_starts_at_version_one_with_its_author_time_and_note()
    {
        var (user, id) = await NewPromptAsync();

        var view = (await fixture.PromptLibrary.GetAsync(user, id, Token)).Value!;

        var version = Assert.Single(view.Versions);
        Assert.Equal((1, user, "Initial"), (version.Number, version.AuthorId, version.ChangeNote));
        Assert.True(DateTimeOffset.UtcNow - version.CreatedAt < TimeSpan.FromMinutes(1));
        Assert.Equal("listing-description", view.Key);
        Assert.True(view.CanEdit);
        Assert.Equal(version, view.Default);
    }

    [Fact]
    public async Task Every_save_adds_the_next_version_and_leaves_the_earlier_ones_untouched()
    {
        var (user, id) = await NewPromptAsync("v1 {{a}}");

        var v2 = await fixture.PromptEditor.SaveVersionAsync(user, id, Content("v2 {{a}}"), "Second", Token);
        var v3 = await fixture.PromptEditor.SaveVersionAsync(user, id, Content("v3 {{a}} {{b}}"), "Third", Token);

        Assert.Equal((2, 3), (v2.Value!.Number, v3.Value!.Number));
        var view = (await fixture.PromptLibrary.GetAsync(user, id, Token)).Value!;
        Assert.Equal([3, 2, 1], view.Versions.Select(v => v.Number));
        Assert.Equal(["v3 {{a}} {{b}}", "v2 {{a}}", "v1 {{a}}"], view.Versions.Select(v => v.UserTemplate));
        Assert.Equal(["Third", "Second", "Initial"], view.Versions.Select(v => v.ChangeNote));
    }

    [Fact]
    public async Task Concurrent_saves_each_get_their_own_number()
    {
        var (user, id) = await NewPromptAsync();

        var saves = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => fixture.PromptEditor.SaveVersionAsync(user, id, Content($"edit {i}"), $"edit {i}", Token))));

        Assert.All(saves, s => Assert.True(s.Succeeded, s.Problem?.Message));
        Assert.Equal(Enumerable.Range(2, 8), saves.Select(s => s.Value!.Number).Order());
    }

    [Fact]
    public async Task Restoring_writes_the_old_content_as_a_new_version()
    {
        var (user, id) = await NewPromptAsync("original {{a}}");
        await fixture.PromptEditor.SaveVersionAsync(user, id, Content("changed {{a}}"), "Change", Token);

        var restored = await fixture.PromptEditor.RestoreAsync(user, id, 1, Token);

        Assert.Equal(3, restored.Value!.Number);
        Assert.Equal("original {{a}}", restored.Value.UserTemplate);
        Assert.Equal("Restored version 1", restored.Value.ChangeNote);
        Assert.Equal(PromptProblemKind.Invalid, (await fixture.PromptEditor.RestoreAsync(user, id, 9, Token)).Problem!.Kind);
    }

    [Fact]
    public async Task Labels_point_at_versions_and_move_only_when_moved()
    {
        var (user, id) = await NewPromptAsync("one {{a}}");
        await fixture.PromptEditor.SaveVersionAsync(user, id, Content("two {{a}}"), "2", Token);

        await fixture.PromptEditor.MoveLabelAsync(user, id, "production", 1, Token);
        await fixture.PromptEditor.MoveLabelAsync(user, id, "Staging", 2, Token);
        await fixture.PromptEditor.SaveVersionAsync(user, id, Content("three {{a}}"), "3", Token);

        var view = (await fixture.PromptLibrary.GetAsync(user, id, Token)).Value!;
        Assert.Equal(1, view.Labelled("production")!.Number);
        Assert.Equal(2, view.Labelled("staging")!.Number);
        Assert.Equal(1, view.Default.Number);
        Assert.Equal(3, view.Latest.Number);

        await fixture.PromptEditor.MoveLabelAsync(user, id, "production", 3, Token);
        view = (await fixture.PromptLibrary.GetAsync(user, id, Token)).Value!;
        Assert.Equal(3, view.Default.Number);
        Assert.Equal(["production"], view.LabelsOf(view.Latest));
    }

    [Fact]
    public async Task A_label_needs_a_real_version_and_a_slug_name()
    {
        var (user, id) = await NewPromptAsync();

        Assert.Contains("does not exist", (await fixture.PromptEditor.MoveLabelAsync(user, id, "production", 7, Token)).Problem!.Message, StringComparison.Ordinal);
        Assert.Contains("lower-case", (await fixture.PromptEditor.MoveLabelAsync(user, id, "my label!", 1, Token)).Problem!.Message, StringComparison.Ordinal);
        Assert.True((await fixture.PromptEditor.MoveLabelAsync(user, id, "canary-2", 1, Token)).Succeeded);
        Assert.True((await fixture.PromptEditor.RemoveLabelAsync(user, id, "canary-2", Token)).Value);
    }

    [Fact]
    public async Task The_runner_uses_production_unless_a_version_or_label_is_asked_for()
    {
        var (user, id) = await NewPromptAsync("one {{a}}");
        await fixture.PromptEditor.SaveVersionAsync(user, id, Content("two {{a}}"), "2", Token);
        await fixture.PromptEditor.SaveVersionAsync(user, id, Content("three {{a}}"), "3", Token);
        var variables = new Dictionary<string, object?> { ["a"] = "x" };

        Assert.Equal("three x", (await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id), variables, Token)).Value!.UserText);
        await fixture.PromptEditor.MoveLabelAsync(user, id, "production", 2, Token);
        await fixture.PromptEditor.MoveLabelAsync(user, id, "staging", 3, Token);

        Assert.Equal("two x", (await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id), variables, Token)).Value!.UserText);
        Assert.Equal("one x", (await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id, Version: 1), variables, Token)).Value!.UserText);
        Assert.Equal("three x", (await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id, Label: "staging"), variables, Token)).Value!.UserText);
        Assert.Contains("no label 'canary'", (await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id, Label: "canary"), variables, Token)).Problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_variables_are_all_named_and_nothing_is_rendered()
    {
        var (user, id) = await NewPromptAsync("{{listing.city}} {{listing.price}} {{tone | default: \"warm\"}}");

        var prepared = await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id), new Dictionary<string, object?>(), Token);

        Assert.Equal("These variables have no value: 'listing.city', 'listing.price'.", prepared.Problem!.Message);
    }

    [Fact]
    public async Task Saving_and_restoring_leave_earlier_version_rows_as_they_were()
    {
        var (user, id) = await NewPromptAsync();
        await using var db = await fixture.DbAsync();

        var before = await db.PromptVersions.AsNoTracking().SingleAsync(v => v.PromptId == id, Token);
        await fixture.PromptEditor.SaveVersionAsync(user, id, Content("next {{a}}"), "next", Token);
        await fixture.PromptEditor.RestoreAsync(user, id, 1, Token);
        var after = await db.PromptVersions.AsNoTracking().SingleAsync(v => v.Id == before.Id, Token);

        Assert.Equal((before.UserTemplate, before.ChangeNote, before.CreatedAt), (after.UserTemplate, after.ChangeNote, after.CreatedAt));
    }
}
