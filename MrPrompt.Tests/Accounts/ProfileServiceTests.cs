using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Profiles;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Profiles;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Accounts;

public sealed class ProfileServiceTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private ProfileService Profiles => database.Services.GetRequiredService<ProfileService>();

    private Task<Guid> NewUserAsync() => TestUsers.RegisterAsync(database.Services);

    [Fact]
    public async Task Valid_changes_are_saved_trimmed()
    {
        var id = await NewUserAsync();
        var errors = await Profiles.UpdateAsync(id, "  Ada Lovelace ", " https://example.com/ada.png ", cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(errors.IsEmpty);
        var profile = await Profiles.GetAsync(id, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Ada Lovelace", profile!.DisplayName);
        Assert.Equal("https://example.com/ada.png", profile.AvatarUrl);
    }

    [Fact]
    public async Task Invalid_changes_are_refused_and_nothing_is_saved()
    {
        var id = await NewUserAsync();
        var before = await Profiles.GetAsync(id, cancellationToken: TestContext.Current.CancellationToken);

        var errors = await Profiles.UpdateAsync(id, "Fine name", "javascript:alert(1)", cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEmpty(errors.For(ProfileRules.AvatarUrlField));
        Assert.Equal(before, await Profiles.GetAsync(id, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Updating_one_profile_leaves_every_other_untouched()
    {
        var mine = await NewUserAsync();
        var theirs = await NewUserAsync();
        var theirsBefore = await Profiles.GetAsync(theirs, cancellationToken: TestContext.Current.CancellationToken);

        await Profiles.UpdateAsync(mine, "Only me", null, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(theirsBefore, await Profiles.GetAsync(theirs, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Theme_choice_is_remembered()
    {
        var id = await NewUserAsync();
        await Profiles.SetThemeAsync(id, ThemePreference.Dark, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(ThemePreference.Dark, await Profiles.GetThemeAsync(id, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Summary_carries_email_and_role()
    {
        var id = await NewUserAsync();
        var summary = await Profiles.GetAsync(id, cancellationToken: TestContext.Current.CancellationToken);
        Assert.EndsWith("@example.com", summary!.Email);
        Assert.Contains(summary.Role, AppRoles.All);
    }

    [Fact]
    public async Task Directory_search_matches_email_or_name_and_treats_wildcards_literally()
    {
        var id = await NewUserAsync();
        await Profiles.UpdateAsync(id, "Searchable_Person", null, cancellationToken: TestContext.Current.CancellationToken);
        var directory = database.Services.GetRequiredService<AccountDirectory>();

        Assert.Contains(await directory.ListAsync(TestUsers.AsAdmin(id), "searchable_p", TestContext.Current.CancellationToken), a => a.Id == id);
        Assert.DoesNotContain(await directory.ListAsync(TestUsers.AsAdmin(id), "Searchable%Nobody", TestContext.Current.CancellationToken), a => a.Id == id);
    }
}
