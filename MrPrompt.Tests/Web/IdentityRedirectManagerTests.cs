using MrPrompt.Web.Components.Account;

namespace MrPrompt.Tests.Web;

public sealed class IdentityRedirectManagerTests
{
    [Theory]
    [InlineData("/settings")]
    [InlineData("settings")]
    [InlineData("/admin?tab=users")]
    public void Paths_on_this_site_are_followed(string uri) =>
        Assert.True(IdentityRedirectManager.IsLocalPath(uri));

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_that_could_leave_the_site_is_not(string? uri) =>
        Assert.False(IdentityRedirectManager.IsLocalPath(uri));
}
