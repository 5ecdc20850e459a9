using MrPrompt.Domain.ApiKeys;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// Every admin page and every admin endpoint, found by reflection and from the app's own routes so a
/// new one is covered without touching this file: anonymous callers sign in first, plain users are
/// refused without data, admins get in, and an admin demoted a moment ago is refused at once.
/// </summary>
public sealed class AdminAccessTests(AdminAccessTests.Accounts accounts) : IClassFixture<AdminAccessTests.Accounts>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An account signed in through the pages, with an API key of its own.</summary>
    public sealed record Account(HttpClient Client, string Key, Guid Id, string Email);

    /// <summary>An installation with its first account (the Admin) and a plain member.</summary>
    public sealed class Accounts(PostgresServer server) : MrPromptApp(server)
    {
        public Account Admin { get; private set; } = null!;
        public Account Member { get; private set; } = null!;

        public override async ValueTask InitializeAsync()
        {
            await base.InitializeAsync();
            Admin = await SignedUpAsync("owner@example.com");
            Member = await SignedUpAsync("member@example.com");
        }

        public async Task<Account> SignedUpAsync(string email)
        {
            var client = CreateClient();
            await AccountForms.RegisterAsync(client, email, "Passw0rd!");
            await using var scope = Services.CreateAsyncScope();
            var user = (await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email))!;
            // Made for the admin API: without the scope even an Admin's key is refused there (tested on its own).
            var key = await Services.GetRequiredService<ApiKeyService>().CreateAsync(user.Id, "admin access test", null, [], Ct, [ApiKeyScopes.Admin]);
            return new Account(client, key.Created!.Secret, user.Id, email);
        }
    }

    private static IReadOnlyList<string> AdminRoutes => typeof(Program).Assembly.GetTypes()
        .SelectMany(t => t.GetCustomAttributes<RouteAttribute>())
        .Select(r => r.Template)
        .Where(t => t.StartsWith("/admin", StringComparison.Ordinal))
        .Order()
        .ToList();

    public static TheoryData<string> AdminPages => new(AdminRoutes);

    private IReadOnlyList<(string Method, string Path)> AdminEndpoints() => accounts.Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>()
        .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/admin", StringComparison.Ordinal) == true)
        .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
        .ToList();

    /// <summary>An endpoint's route with its account id filled in: the member's, whom unlocking or a reset link harms not.</summary>
    /// <summary>
    /// The route with a real id in it: an account's, or for invitations a new open one's each time (withdrawing
    /// one ends it, so each caller gets its own).
    /// </summary>
    private async Task<string> ConcreteAsync(string route)
    {
        var id = route.Contains("/invitations/", StringComparison.Ordinal)
            ? (await accounts.Services.GetRequiredService<MrPrompt.Infrastructure.Accounts.Invitations>().CreateAsync(TestUsers.AsAdmin(accounts.Admin.Id), null, null, Ct)).Link!.Id
            : accounts.Member.Id;
        return route.Replace("{id:guid}", id.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void There_are_admin_pages_and_endpoints_to_check()
    {
        Assert.Contains("/admin/usage", AdminRoutes);
        Assert.Contains(("GET", "/api/admin/usage/export.csv"), AdminEndpoints());
        Assert.True(AdminEndpoints().Count >= 8);
    }

    [Fact]
    public void Every_admin_page_demands_the_admin_role()
    {
        var pages = typeof(Program).Assembly.GetTypes().Where(t => t.GetCustomAttributes<RouteAttribute>().Any(r => r.Template.StartsWith("/admin", StringComparison.Ordinal)));

        Assert.All(pages, page => Assert.Equal(MrPrompt.Domain.Accounts.AppRoles.Admin, page.GetCustomAttribute<AuthorizeAttribute>()?.Roles));
    }

    [Theory]
    [MemberData(nameof(AdminPages))]
    public async Task An_admin_page_sends_strangers_to_sign_in_and_plain_users_away(string path)
    {
        var anonymous = await accounts.CreateClient().GetAsync(path, Ct);
        var member = await accounts.Member.Client.GetAsync(path, Ct);
        var admin = await accounts.Admin.Client.GetAsync(path, Ct);

        Assert.Equal((HttpStatusCode.Redirect, "/Account/Login"), (anonymous.StatusCode, anonymous.Headers.Location!.AbsolutePath));
        Assert.Equal((HttpStatusCode.Redirect, "/Account/AccessDenied"), (member.StatusCode, member.Headers.Location!.AbsolutePath));
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        var html = await admin.Content.ReadAsStringAsync(Ct);
        Assert.Contains("data-testid=\"admin-tabs\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid=\"forbidden\"", html, StringComparison.Ordinal); // the database agreed too
    }

    [Fact]
    public async Task Every_admin_endpoint_wants_a_sign_in_refuses_plain_users_and_answers_admins()
    {
        foreach (var (method, route) in AdminEndpoints())
        {
            var path = await ConcreteAsync(route);
            var anonymous = await SendAsync(accounts.CreateClient(), method, path);
            var memberCookie = await SendAsync(accounts.Member.Client, method, path);
            var memberKey = await SendAsync(accounts.CreateClient(), method, path, accounts.Member.Key);
            var adminCookie = await SendAsync(accounts.Admin.Client, method, path);
            var adminKey = await SendAsync(accounts.CreateClient(), method, path = await ConcreteAsync(route), accounts.Admin.Key);

            Assert.True(HttpStatusCode.Unauthorized == anonymous.StatusCode, $"{method} {path} anonymous: {anonymous.StatusCode}");
            foreach (var refused in new[] { memberCookie, memberKey })
            {
                Assert.True(HttpStatusCode.Forbidden == refused.StatusCode, $"{method} {path} member: {refused.StatusCode}");
                Assert.DoesNotContain("@example.com", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }
            Assert.True(adminCookie.IsSuccessStatusCode, $"{method} {path} admin cookie: {adminCookie.StatusCode}");
            Assert.True(adminKey.IsSuccessStatusCode, $"{method} {path} admin key: {adminKey.StatusCode}");
        }
    }

    [Fact]
    public async Task An_admins_key_made_only_for_models_is_refused_by_the_admin_api()
    {
        var modelsOnly = (await accounts.Services.GetRequiredService<ApiKeyService>().CreateAsync(accounts.Admin.Id, "a bot", null, [], Ct)).Created!.Secret;

        var refused = await SendAsync(accounts.CreateClient(), "GET", "/api/admin/users", modelsOnly);
        var models = await SendAsync(accounts.CreateClient(), "GET", "/v1/models", modelsOnly);
        var scoped = await SendAsync(accounts.CreateClient(), "GET", "/api/admin/users", accounts.Admin.Key);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.DoesNotContain("@example.com", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Equal(HttpStatusCode.OK, scoped.StatusCode);
    }

    [Fact]
    public async Task An_admin_demoted_a_moment_ago_is_refused_before_the_sign_in_catches_up()
    {
        var account = await accounts.SignedUpAsync($"demoted-{Guid.NewGuid():N}@example.com");
        await TestUsers.SetRoleAsync(accounts.Services, account.Id, MrPrompt.Domain.Accounts.AppRoles.Admin);
        await AccountForms.SignInAsync(account.Client, account.Email, "Passw0rd!"); // the cookie now says Admin
        Assert.Equal(HttpStatusCode.OK, (await account.Client.GetAsync("/api/admin/providers", Ct)).StatusCode);

        await TestUsers.SetRoleAsync(accounts.Services, account.Id, MrPrompt.Domain.Accounts.AppRoles.User);
        var byCookie = await account.Client.GetAsync("/api/admin/users", Ct);
        var byKey = await SendAsync(accounts.CreateClient(), "GET", "/api/admin/users", account.Key);
        var page = await account.Client.GetStringAsync("/admin/users", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, byCookie.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byKey.StatusCode);
        Assert.Contains("data-testid=\"forbidden\"", page, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? key = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "PUT")
        {
            request.Content = JsonContent.Create(new { days = 0 });
        }
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        return await client.SendAsync(request, Ct);
    }
}
