using Bunit;
using MrPrompt.Domain.Accounts;
using MrPrompt.Web.Components.Layout;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Components;

public sealed class NavMenuTests : IAsyncDisposable
{
    private readonly BunitContext _context = MudComponents.CreateContext();

    private IReadOnlyList<string> LinkTexts() =>
        _context.Render<NavMenu>().FindAll("a").Select(a => a.TextContent.Trim()).ToList();

    [Fact]
    public void Admins_see_every_area_including_admin()
    {
        _context.AddAuthorization().SetAuthorized("root@example.com").SetRoles(AppRoles.Admin);
        Assert.Equal(["Home", "Chat", "Compare", "Prompts", "Knowledge", "Settings", "API reference", "Admin"], LinkTexts());
    }

    [Fact]
    public void Users_do_not_see_admin()
    {
        _context.AddAuthorization().SetAuthorized("user@example.com").SetRoles(AppRoles.User);
        Assert.Equal(["Home", "Chat", "Compare", "Prompts", "Knowledge", "Settings", "API reference"], LinkTexts());
    }

    [Fact]
    public void Visitors_see_only_home()
    {
        _context.AddAuthorization();
        Assert.Equal(["Home"], LinkTexts());
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
