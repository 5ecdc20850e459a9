using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Tests.Support;
using static MrPrompt.Tests.Prompts.PromptSamples;

namespace MrPrompt.Tests.Prompts;

/// <summary>Bad input gets a clear message per field and nothing is saved.</summary>
public sealed class PromptValidationTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<int> PromptCountAsync(Guid user)
    {
        await using var db = await fixture.DbAsync();
        return db.Prompts.Count(p => p.OwnerId == user);
    }

    private async Task<PromptProblem> RefusedCreateAsync(Guid user, PromptDetails details, PromptContent content)
    {
        var before = await PromptCountAsync(user);
        var result = await fixture.PromptEditor.CreateAsync(user, details, content, null, Token);
        Assert.False(result.Succeeded);
        Assert.Equal(PromptProblemKind.Invalid, result.Problem!.Kind);
        Assert.Equal(before, await PromptCountAsync(user));
        return result.Problem;
    }

    [Fact]
    public async Task Invalid_template_syntax_is_refused_with_line_and_column()
    {
        var user = await fixture.NewUserAsync();

        var problem = await RefusedCreateAsync(user, Details(), Content("Hello\n{{name"));

        Assert.Contains("Line 2, column 1", problem.Fields!.For(nameof(PromptContent.UserTemplate))[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_key_of_the_same_owner_is_refused_but_another_owner_may_use_it()
    {
        var user = await fixture.NewUserAsync();
        Assert.True((await fixture.PromptEditor.CreateAsync(user, Details("weekly-report"), Content(), null, Token)).Succeeded);

        var problem = await RefusedCreateAsync(user, Details("Weekly-Report "), Content());

        Assert.Equal("You already have a prompt with the key 'weekly-report'.", problem.Fields!.For(nameof(PromptDetails.Key))[0]);
        Assert.True((await fixture.PromptEditor.CreateAsync(await fixture.NewUserAsync(), Details("weekly-report"), Content(), null, Token)).Succeeded);
    }

    [Fact]
    public async Task Keys_of_built_in_prompts_are_reserved()
    {
        var problem = await RefusedCreateAsync(await fixture.NewUserAsync(), Details("echo-test"), Content());

        Assert.Contains("built-in", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_data_loaders_are_refused_and_the_known_ones_listed()
    {
        var problem = await RefusedCreateAsync(await fixture.NewUserAsync(), Details(), Content(loaders: ["user-profile", "crm-contacts"]));

        var message = problem.Fields!.For(nameof(PromptContent.DataLoaders)).Single();
        Assert.Contains("'crm-contacts'", message, StringComparison.Ordinal);
        Assert.Contains("datetime, knowledge, recent-sessions, user-profile", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"type\": \"obj\"}", "not a valid JSON Schema")]
    [InlineData("{\"type\": \"object\", \"required\": \"name\"}", "not a valid JSON Schema")]
    [InlineData("{\"properties\": {\"a\": {\"minLength\": -1}}}", "not a valid JSON Schema")]
    [InlineData("{\"type\": \"object\",", "not valid JSON")]
    [InlineData("[1, 2]", "JSON object")]
    [InlineData("", "Paste the JSON Schema")]
    [InlineData("{\"$ref\": \"http://169.254.169.254/latest/meta-data\"}", "only point inside the schema")]
    [InlineData("{\"properties\": {\"a\": {\"$ref\": \"https://example.com/schema.json\"}}}", "only point inside the schema")]
    [InlineData("{\"properties\": {\"a\": {\"type\": \"string\", \"pattern\": \"(\"}}}", "cannot be used")]
    [InlineData("{\"patternProperties\": {\"^(a)\\\\1$\": {}}}", "cannot be used")]
    [InlineData("{\"anyOf\": [{\"type\": \"string\", \"pattern\": \"^a$\"}, {\"type\": \"number\"}]}", "pattern inside anyOf")]
    public async Task A_schema_that_is_not_valid_json_schema_is_refused(string schema, string expected)
    {
        var content = Content() with { ResponseFormat = PromptResponseFormat.JsonSchema, JsonSchema = schema };

        var problem = await RefusedCreateAsync(await fixture.NewUserAsync(), Details(), content);

        Assert.Contains(expected, problem.Fields!.For(nameof(PromptContent.JsonSchema))[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_schema_is_saved()
    {
        var content = Content() with
        {
            ResponseFormat = PromptResponseFormat.JsonSchema,
            JsonSchema = """{"type":"object","properties":{"title":{"type":"string"},"rooms":{"type":"integer","minimum":1}},"required":["title"]}""",
        };

        var created = await fixture.PromptEditor.CreateAsync(await fixture.NewUserAsync(), Details(), content, null, Token);

        Assert.True(created.Succeeded, created.Problem?.Message);
    }

    [Fact]
    public async Task Saving_details_and_bad_content_together_saves_neither()
    {
        var user = await fixture.NewUserAsync();
        var id = (await fixture.PromptEditor.CreateAsync(user, Details("before"), Content(), null, Token)).Value;

        var saved = await fixture.PromptEditor.UpdateAsync(user, id, Details("after") with { Visibility = PromptVisibility.Private }, Content("{{ broken"), "x", Token);

        Assert.Equal(PromptProblemKind.Invalid, saved.Problem!.Kind);
        var view = (await fixture.PromptLibrary.GetAsync(user, id, Token)).Value!;
        Assert.Equal(("before", 1), (view.Key, view.Versions.Count));

        var good = await fixture.PromptEditor.UpdateAsync(user, id, Details("after"), Content("fixed {{a}}"), "fix", Token);
        Assert.Equal((true, 2), (good.Value!.DetailsChanged, good.Value.NewVersion!.Number));
        var unchanged = await fixture.PromptEditor.UpdateAsync(user, id, Details("after"), Content("fixed {{a}}"), "again", Token);
        Assert.Equal((false, null), (unchanged.Value!.DetailsChanged, unchanged.Value.NewVersion));
    }

    [Fact]
    public async Task A_model_name_too_long_for_storage_is_a_field_error()
    {
        var problem = await RefusedCreateAsync(await fixture.NewUserAsync(), Details(), Content() with { Model = "openai/" + new string('m', 400) });

        Assert.NotEmpty(problem.Fields!.For(nameof(PromptContent.Model)));
    }

    [Fact]
    public async Task A_bad_new_version_is_refused_and_the_history_unchanged()
    {
        var user = await fixture.NewUserAsync();
        var id = (await fixture.PromptEditor.CreateAsync(user, Details(), Content(), null, Token)).Value;

        var saved = await fixture.PromptEditor.SaveVersionAsync(user, id, Content("{{ broken"), "oops", Token);

        Assert.Equal(PromptProblemKind.Invalid, saved.Problem!.Kind);
        Assert.Single((await fixture.PromptLibrary.GetAsync(user, id, Token)).Value!.Versions);
    }

    [Fact]
    public async Task Users_create_private_prompts_and_only_authors_and_admins_publish()
    {
        var user = await fixture.NewUserAsync();
        var problem = await RefusedCreateAsync(user, Details(visibility: PromptVisibility.Public), Content());
        Assert.Contains("Only authors and admins", problem.Fields!.For(nameof(PromptDetails.Visibility))[0], StringComparison.Ordinal);

        var author = await fixture.NewAuthorAsync();
        var published = await fixture.PromptEditor.CreateAsync(author, Details(visibility: PromptVisibility.Public), Content(), null, Token);
        Assert.True(published.Succeeded, published.Problem?.Message);
        Assert.Equal(PromptVisibility.Public, (await fixture.PromptLibrary.GetAsync(author, published.Value, Token)).Value!.Visibility);
    }

    [Fact]
    public async Task Tags_and_keys_are_normalised_and_checked()
    {
        var user = await fixture.NewUserAsync();
        var id = (await fixture.PromptEditor.CreateAsync(user, Details("  Sales-Email ", tags: ["Sales", "sales", " email "]), Content(), null, Token)).Value;
        var view = (await fixture.PromptLibrary.GetAsync(user, id, Token)).Value!;
        Assert.Equal("sales-email", view.Key);
        Assert.Equal(["sales", "email"], view.Tags);

        var problem = await RefusedCreateAsync(user, Details("two words", tags: ["fine", "not fine"]), Content());
        Assert.NotEmpty(problem.Fields!.For(nameof(PromptDetails.Key)));
        Assert.Contains("'not fine'", problem.Fields.For(nameof(PromptDetails.Tags))[0], StringComparison.Ordinal);
    }
}
