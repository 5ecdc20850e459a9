using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Tests.Support;
using static MrPrompt.Tests.Prompts.PromptSamples;

namespace MrPrompt.Tests.Prompts;

/// <summary>Who sees and changes which prompt: private ones stay with their owner, public ones are read-only to others.</summary>
public sealed class PromptAccessTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Another_users_private_prompt_is_not_found_for_every_action_and_each_attempt_is_logged()
    {
        var owner = await fixture.NewUserAsync();
        var id = (await fixture.PromptEditor.CreateAsync(owner, Details(), Content(), null, Token)).Value;
        var intruder = await fixture.NewUserAsync();
        var editor = fixture.PromptEditor;

        var problems = new[]
        {
            (await fixture.PromptLibrary.GetAsync(intruder, id, Token)).Problem,
            (await editor.SaveVersionAsync(intruder, id, Content("mine now {{a}}"), "x", Token)).Problem,
            (await editor.UpdateAsync(intruder, id, Details("stolen"), Content(), "x", Token)).Problem,
            (await editor.RestoreAsync(intruder, id, 1, Token)).Problem,
            (await editor.MoveLabelAsync(intruder, id, "production", 1, Token)).Problem,
            (await editor.RemoveLabelAsync(intruder, id, "production", Token)).Problem,
            (await editor.DuplicateAsync(intruder, id, Token)).Problem,
            (await editor.DeleteAsync(intruder, id, Token)).Problem,
            (await fixture.PromptRunner.PrepareAsync(intruder, new PromptSelector(id), new Dictionary<string, object?>(), Token)).Problem,
        };

        Assert.All(problems, p => Assert.Equal(PromptProblemKind.NotFound, p!.Kind));
        // Even content that would be refused is refused as "not found": nothing about the prompt is revealed.
        Assert.Equal(PromptProblemKind.NotFound, (await editor.SaveVersionAsync(intruder, id, Content("{{ broken"), "x", Token)).Problem!.Kind);
        Assert.Equal(PromptProblemKind.NotFound, (await editor.UpdateAsync(intruder, id, Details(), Content(), "x", Token)).Problem!.Kind);
        Assert.True(fixture.Logs.Entries.Count(e => e.Contains($"User {intruder} was refused", StringComparison.Ordinal) && e.Contains(id.ToString(), StringComparison.Ordinal)) >= problems.Length);
        var view = (await fixture.PromptLibrary.GetAsync(owner, id, Token)).Value!;
        Assert.Equal(("listing-description", 1), (view.Key, view.Versions.Count));
        Assert.Empty(await fixture.PromptLibrary.StatsAsync(intruder, id, Token));
    }

    [Fact]
    public async Task Another_users_public_prompt_can_be_read_and_duplicated_but_not_changed()
    {
        var author = await fixture.NewAuthorAsync();
        var id = (await fixture.PromptEditor.CreateAsync(author, Details("shared-prompt", PromptVisibility.Public), Content(), null, Token)).Value;
        await fixture.PromptEditor.SaveVersionAsync(author, id, Content("v2 {{a}}"), "two", Token);
        await fixture.PromptEditor.MoveLabelAsync(author, id, "production", 1, Token);
        var reader = await fixture.NewUserAsync();

        var view = (await fixture.PromptLibrary.GetAsync(reader, id, Token)).Value!;
        Assert.False(view.CanEdit);
        Assert.Equal(PromptProblemKind.Forbidden, (await fixture.PromptEditor.SaveVersionAsync(reader, id, Content("x {{a}}"), "x", Token)).Problem!.Kind);
        Assert.Equal(PromptProblemKind.Forbidden, (await fixture.PromptEditor.MoveLabelAsync(reader, id, "production", 2, Token)).Problem!.Kind);
        Assert.Equal(PromptProblemKind.Forbidden, (await fixture.PromptEditor.DeleteAsync(reader, id, Token)).Problem!.Kind);
        Assert.Contains(fixture.Logs.Entries, e => e.Contains($"User {reader} was refused", StringComparison.Ordinal) && e.Contains("public prompt of another user", StringComparison.Ordinal));

        var copy = await fixture.PromptEditor.DuplicateAsync(reader, id, Token);
        var mine = (await fixture.PromptLibrary.GetAsync(reader, copy.Value, Token)).Value!;
        Assert.True(mine.CanEdit);
        Assert.Equal((PromptVisibility.Private, "shared-prompt", 1), (mine.Visibility, mine.Key, mine.Latest.Number));
        Assert.Equal(Content().UserTemplate, mine.Latest.UserTemplate); // the production version, not the latest
        Assert.Contains("shared-prompt v1", mine.Latest.ChangeNote, StringComparison.Ordinal);

        var again = await fixture.PromptEditor.DuplicateAsync(reader, id, Token);
        Assert.Equal("shared-prompt-copy", (await fixture.PromptLibrary.GetAsync(reader, again.Value, Token)).Value!.Key);
    }

    [Fact]
    public async Task The_library_lists_mine_public_and_built_in_prompts_but_never_others_private_ones()
    {
        var author = await fixture.NewAuthorAsync();
        var tag = $"t{Guid.NewGuid():N}"[..12];
        await fixture.PromptEditor.CreateAsync(author, Details("public-one", PromptVisibility.Public, tag), Content(), null, Token);
        await fixture.PromptEditor.CreateAsync(author, Details("private-one", PromptVisibility.Private, tag), Content(), null, Token);
        var user = await fixture.NewUserAsync();
        await fixture.PromptEditor.CreateAsync(user, Details("my-own", PromptVisibility.Private, tag) with { Title = "Quarterly 100% report" }, Content(), null, Token);

        var all = await fixture.PromptLibrary.ListAsync(user, new PromptQuery(Tag: tag), Token);
        Assert.Equal(["my-own", "public-one"], all.Select(p => p.Key).Order());
        Assert.Equal(["my-own"], (await fixture.PromptLibrary.ListAsync(user, new PromptQuery(Tag: tag, Scope: PromptScope.Mine), Token)).Select(p => p.Key));
        Assert.Equal(["public-one"], (await fixture.PromptLibrary.ListAsync(user, new PromptQuery(Tag: tag, Scope: PromptScope.Public), Token)).Select(p => p.Key));

        // Search matches key, title and description; LIKE wildcards in the search are literal.
        Assert.Equal(["my-own"], (await fixture.PromptLibrary.ListAsync(user, new PromptQuery("100%", tag), Token)).Select(p => p.Key));
        Assert.Empty(await fixture.PromptLibrary.ListAsync(user, new PromptQuery("1_0", tag), Token));

        var builtIn = await fixture.PromptLibrary.ListAsync(user, new PromptQuery("echo"), Token);
        var echo = Assert.Single(builtIn, p => p.IsCodeDefined);
        Assert.Equal("echo-test", echo.Key);
        Assert.Contains(tag, await fixture.PromptLibrary.TagsAsync(user, Token));
        Assert.DoesNotContain(await fixture.PromptLibrary.ListAsync(await fixture.NewUserAsync(), new PromptQuery(Tag: tag), Token), p => p.Key == "private-one");
    }

    [Fact]
    public async Task The_prompt_that_names_chats_is_listed_in_the_library_but_never_offered_to_send()
    {
        var user = await fixture.NewUserAsync();

        var library = await fixture.PromptLibrary.ListAsync(user, new PromptQuery(), Token);
        var toSend = await fixture.PromptLibrary.ListAsync(user, new PromptQuery(ToSend: true), Token);

        Assert.Contains(library, p => p.Key == "chat-title");
        Assert.DoesNotContain(toSend, p => p.Key == "chat-title");
        Assert.Contains(toSend, p => p.Key == "echo-test");
    }

    [Fact]
    public async Task Built_in_prompts_are_read_only_and_can_be_duplicated()
    {
        var echo = PromptLibrary.GetBuiltIn("echo-test")!;
        Assert.Equal("The user says: {{message}}", echo.Latest.UserTemplate);
        Assert.Equal("You are a helpful assistant. Respond concisely.", echo.Latest.SystemPrompt);
        Assert.False(echo.CanEdit);
        Assert.NotNull(PromptLibrary.GetBuiltIn("chat-title"));

        var user = await fixture.NewUserAsync();
        var copy = await fixture.PromptEditor.DuplicateBuiltInAsync(user, "echo-test", Token);

        var mine = (await fixture.PromptLibrary.GetAsync(user, copy.Value, Token)).Value!;
        Assert.Equal(("echo-test-copy", "The user says: {{message}}"), (mine.Key, mine.Latest.UserTemplate));
    }
}
