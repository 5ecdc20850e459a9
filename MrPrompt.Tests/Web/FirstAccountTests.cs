using System.Net;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>On an empty installation the first account runs it; everyone after is a plain user.</summary>
public sealed class FirstAccountTests(MrPromptApp app) : IClassFixture<MrPromptApp>
{
    [Fact]
    public async Task Only_the_first_account_reaches_the_admin_pages()
    {
        var ct = TestContext.Current.CancellationToken;
        var admin = app.CreateClient();
        var plain = app.CreateClient();

        Assert.Equal(HttpStatusCode.Redirect, (await AccountForms.RegisterAsync(admin, "owner@example.com", "Passw0rd!")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await AccountForms.RegisterAsync(plain, "member@example.com", "Passw0rd!")).StatusCode);

        var adminView = await admin.GetAsync("/admin", ct);
        var plainView = await plain.GetAsync("/admin", ct);
        var accounts = await admin.GetStringAsync("/api/admin/users", ct);

        Assert.Equal(HttpStatusCode.OK, adminView.StatusCode);
        Assert.Contains("data-testid=\"admin-tabs\"", await adminView.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Contains("\"email\":\"owner@example.com\",\"displayName\":\"owner\",\"role\":\"Admin\"", accounts, StringComparison.Ordinal);
        Assert.Contains("\"email\":\"member@example.com\",\"displayName\":\"member\",\"role\":\"User\"", accounts, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, plainView.StatusCode);
        Assert.Equal("/Account/AccessDenied", plainView.Headers.Location!.AbsolutePath);
    }
}
