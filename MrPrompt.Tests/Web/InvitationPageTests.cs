using System.Net;
using System.Net.Http.Json;
using MrPrompt.Domain.Accounts;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>The registration page and the admin API for invitations, as shipped: by invitation once an Admin exists.</summary>
public sealed class InvitationPageTests(InvitationPageTests.ShippedApp app) : IClassFixture<InvitationPageTests.ShippedApp>
{
    /// <summary>The default registration mode (the other apps in the tests open registration to all).</summary>
    public sealed class ShippedApp(PostgresServer server) : MrPromptApp(server)
    {
        public HttpClient Admin { get; private set; } = null!;

        protected override void Configure(Dictionary<string, string?> settings) => settings.Remove("Accounts:Registration");

        public override async ValueTask InitializeAsync()
        {
            await base.InitializeAsync();
            Admin = CreateClient();
            Assert.Equal(HttpStatusCode.Redirect, (await AccountForms.RegisterAsync(Admin, "owner@example.com", "Passw0rd!")).StatusCode);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Invited(Guid Id, string? Email, string Role, string Link, DateTimeOffset ExpiresAt);

    private async Task<Invited> InviteAsync(object request)
    {
        var response = await app.Admin.PostAsJsonAsync("/api/admin/invitations", request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Invited>(Ct))!;
    }

    private static string PathAndQuery(string link) => new Uri(link).PathAndQuery;

    [Fact]
    public async Task Without_an_invitation_the_page_explains_and_a_posted_form_creates_nothing()
    {
        var stranger = app.CreateClient();

        var page = await (await stranger.GetAsync("/Account/Register", Ct)).Content.ReadAsStringAsync(Ct);
        var fields = await AccountForms.HiddenFieldsAsync(app.CreateClient(), "/Account/Login"); // any antiforgery token of this client's
        var forced = await stranger.PostAsync("/Account/Register", new FormUrlEncodedContent(new Dictionary<string, string>(fields)
        {
            ["_handler"] = "register",
            ["Input.Email"] = "forced@example.com",
            ["Input.Password"] = "Passw0rd!",
            ["Input.ConfirmPassword"] = "Passw0rd!",
        }), Ct);

        Assert.Contains(RegistrationRules.InviteOnlyMessage, page);
        Assert.DoesNotContain("id=\"password\"", page);
        Assert.NotEqual(HttpStatusCode.Redirect, forced.StatusCode);
        var accounts = await app.Admin.GetFromJsonAsync<List<Dictionary<string, object>>>("/api/admin/users?search=forced", Ct);
        Assert.Empty(accounts!);
    }

    [Fact]
    public async Task An_invitation_link_opens_the_form_with_its_email_signs_the_person_in_and_works_once()
    {
        var invited = await InviteAsync(new { email = "grace@example.com", role = "Author" });
        Assert.Equal(DateTimeOffset.UtcNow.AddDays(7).Date, invited.ExpiresAt.UtcDateTime.Date);
        var listed = await app.Admin.GetFromJsonAsync<List<Invited>>("/api/admin/invitations", Ct);
        Assert.Contains(listed!, i => i.Id == invited.Id && i.Email == "grace@example.com" && i.Role == "Author");

        var grace = app.CreateClient();
        var form = await (await grace.GetAsync(PathAndQuery(invited.Link), Ct)).Content.ReadAsStringAsync(Ct);
        var registered = await AccountForms.SubmitAsync(grace, PathAndQuery(invited.Link), new()
        {
            ["Input.Email"] = "grace@example.com",
            ["Input.Password"] = "Passw0rd!",
            ["Input.ConfirmPassword"] = "Passw0rd!",
        });
        var reused = await (await app.CreateClient().GetAsync(PathAndQuery(invited.Link), Ct)).Content.ReadAsStringAsync(Ct);

        Assert.Contains("value=\"grace@example.com\"", form);
        Assert.Contains("readonly", form);
        Assert.Equal(HttpStatusCode.Redirect, registered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await grace.GetAsync("/settings", Ct)).StatusCode);
        Assert.Contains(RegistrationRules.InvitationGoneMessage, WebUtility.HtmlDecode(reused));
        var accounts = await app.Admin.GetFromJsonAsync<List<Dictionary<string, object>>>("/api/admin/users?search=grace", Ct);
        Assert.Equal("Author", Assert.Single(accounts!)["role"].ToString());
    }

    [Fact]
    public async Task A_withdrawn_invitation_stops_working_and_bad_requests_say_why()
    {
        var invited = await InviteAsync(new { });

        var withdrawn = await app.Admin.DeleteAsync($"/api/admin/invitations/{invited.Id}", Ct);
        var twice = await app.Admin.DeleteAsync($"/api/admin/invitations/{invited.Id}", Ct);
        var page = await (await app.CreateClient().GetAsync(PathAndQuery(invited.Link), Ct)).Content.ReadAsStringAsync(Ct);
        var badRole = await app.Admin.PostAsJsonAsync("/api/admin/invitations", new { role = "Wizard" }, Ct);

        Assert.Equal("User", invited.Role);
        Assert.Null(invited.Email);
        Assert.Equal(HttpStatusCode.NoContent, withdrawn.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, twice.StatusCode);
        Assert.Contains(RegistrationRules.InvitationGoneMessage, WebUtility.HtmlDecode(page));
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        Assert.Contains("Unknown role 'Wizard'", await badRole.Content.ReadAsStringAsync(Ct));
    }
}
