using Bunit;
using MrPrompt.Domain.Common;
using MrPrompt.Domain.Profiles;
using MrPrompt.Web.Components.Pages.Settings;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Components;

public sealed class ProfileFormTests : IAsyncDisposable
{
    private readonly BunitContext _context = MudComponents.CreateContext();

    private IRenderedComponent<ProfileForm> Render(ProfileFormModel model, Action onSave, FieldErrors? serverErrors = null) =>
        _context.Render<ProfileForm>(parameters => parameters
            .Add(p => p.Model, model)
            .Add(p => p.ServerErrors, serverErrors)
            .Add(p => p.OnSave, onSave));

    [Fact]
    public async Task Invalid_avatar_url_is_shown_and_nothing_is_saved()
    {
        var saves = 0;
        var form = Render(new ProfileFormModel { DisplayName = "Ada", AvatarUrl = "javascript:alert(1)" }, () => saves++);

        await form.Find("[data-testid=save-profile]").ClickAsync(new());

        Assert.Equal(0, saves);
        Assert.Contains("Enter a full web address starting with http:// or https://.", form.Markup);
    }

    [Fact]
    public async Task Empty_display_name_is_shown_and_nothing_is_saved()
    {
        var saves = 0;
        var form = Render(new ProfileFormModel { DisplayName = "" }, () => saves++);

        await form.Find("[data-testid=save-profile]").ClickAsync(new());

        Assert.Equal(0, saves);
        Assert.Contains("Enter a display name.", form.Markup);
    }

    [Fact]
    public async Task Valid_input_is_handed_to_the_page()
    {
        var saves = 0;
        var form = Render(new ProfileFormModel { DisplayName = "Ada", AvatarUrl = "https://example.com/a.png" }, () => saves++);

        await form.Find("[data-testid=save-profile]").ClickAsync(new());

        Assert.Equal(1, saves);
    }

    [Fact]
    public void Errors_from_the_server_appear_next_to_their_field()
    {
        var errors = new FieldErrors();
        errors.Add(ProfileRules.DisplayNameField, "Taken by the server.");

        var form = Render(new ProfileFormModel { DisplayName = "Ada" }, () => { }, errors);

        Assert.Contains("Taken by the server.", form.Markup);
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
