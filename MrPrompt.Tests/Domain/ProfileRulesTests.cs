using MrPrompt.Domain.Profiles;

namespace MrPrompt.Tests.Domain;

public sealed class ProfileRulesTests
{
    [Theory]
    [InlineData("https://example.com/me.png")]
    [InlineData("http://cdn.example.org/a/b.jpg?size=64")]
    [InlineData("  https://example.com/padded.png  ")]
    public void Web_addresses_are_accepted_as_avatars(string url) =>
        Assert.Null(ProfileRules.ValidateAvatarUrl(url));

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:image/png;base64,AAAA")]
    [InlineData("ftp://example.com/me.png")]
    [InlineData("/images/me.png")]
    [InlineData("example.com/me.png")]
    [InlineData("file:///etc/passwd")]
    public void Anything_but_http_or_https_is_refused_as_avatar(string url) =>
        Assert.Equal("Enter a full web address starting with http:// or https://.", ProfileRules.ValidateAvatarUrl(url));

    [Fact]
    public void No_avatar_is_fine() =>
        Assert.Null(ProfileRules.ValidateAvatarUrl("   "));

    [Fact]
    public void Over_long_avatar_url_is_refused() =>
        Assert.NotNull(ProfileRules.ValidateAvatarUrl("https://example.com/" + new string('a', ProfileRules.AvatarUrlMaxLength)));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Display_name_is_required(string? name) =>
        Assert.Equal("Enter a display name.", ProfileRules.ValidateDisplayName(name));

    [Fact]
    public void Over_long_display_name_says_the_limit_and_the_length()
    {
        var message = ProfileRules.ValidateDisplayName(new string('x', ProfileRules.DisplayNameMaxLength + 1));
        Assert.Equal($"Use at most {ProfileRules.DisplayNameMaxLength} characters (this one has {ProfileRules.DisplayNameMaxLength + 1}).", message);
    }

    [Fact]
    public void Display_name_at_the_limit_is_accepted() =>
        Assert.Null(ProfileRules.ValidateDisplayName(new string('x', ProfileRules.DisplayNameMaxLength)));

    [Fact]
    public void Control_characters_are_refused_in_display_names() =>
        Assert.NotNull(ProfileRules.ValidateDisplayName("Ada\u0007"));

    [Fact]
    public void Validate_reports_each_bad_field_separately()
    {
        var errors = ProfileRules.Validate("", "javascript:x");
        Assert.Single(errors.For(ProfileRules.DisplayNameField));
        Assert.Single(errors.For(ProfileRules.AvatarUrlField));
    }

    [Fact]
    public void Normalize_trims_and_turns_blank_avatar_into_none() =>
        Assert.Equal(("Ada", (string?)null), ProfileRules.Normalize("  Ada ", "  "));

    [Fact]
    public void New_profile_is_named_after_the_email_local_part()
    {
        var id = Guid.NewGuid();
        var profile = Profile.CreateFor(id, "ada.lovelace@example.com");
        Assert.Equal(id, profile.Id);
        Assert.Equal("ada.lovelace", profile.DisplayName);
        Assert.Equal(ThemePreference.System, profile.Theme);
    }

    [Fact]
    public void New_profile_name_is_cut_to_the_limit() =>
        Assert.Equal(ProfileRules.DisplayNameMaxLength,
            Profile.CreateFor(Guid.NewGuid(), new string('a', 200) + "@example.com").DisplayName.Length);
}
