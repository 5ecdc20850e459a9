using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Accounts;

/// <summary>
/// Who may register on the page: the mode (open until the first Admin, then by invitation, unless set),
/// allowed email domains and admins' one-time invitations. Each test has a fresh database, since the
/// mode depends on whether an Admin exists.
/// </summary>
public sealed class RegistrationTests(PostgresServer server) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-05T10:00:00Z"));
    private string _connectionString = "";
    private readonly List<ServiceProvider> _providers = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _connectionString = await server.CreateDatabaseAsync("registration");
        await App().GetRequiredService<DatabaseStartup>().RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    /// <summary>The app's services on this test's database with these Accounts settings.</summary>
    private ServiceProvider App(string? registration = null, string? domains = null)
    {
        var provider = TestDatabase.BuildServices(_connectionString, _clock, new Dictionary<string, string?>
        {
            ["Accounts:Registration"] = registration,
            ["Accounts:AllowedEmailDomains"] = domains,
        });
        _providers.Add(provider);
        return provider;
    }

    private static async Task<RegistrationResult> SignUpAsync(IServiceProvider app, string email, string? invitation = null)
    {
        await using var scope = app.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AccountRegistrar>().SignUpAsync(email, "Passw0rd!", invitation, "203.0.113.8", Ct);
    }

    private static async Task<RegistrationForm> FormAsync(IServiceProvider app, string? invitation = null)
    {
        await using var scope = app.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AccountRegistrar>().FormAsync(invitation, Ct);
    }

    private static string Refusal(RegistrationResult result) => string.Join(" ", result.Errors.For(IdentityErrorFields.Form));

    private async Task<bool> ExistsAsync(string email)
    {
        await using var db = await App().GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        return await db.Users.AnyAsync(u => u.NormalizedEmail == email.ToUpperInvariant(), Ct);
    }

    private static async Task<string> InviteAsync(IServiceProvider app, Guid adminId, string? email = null, string? role = null)
    {
        var (link, errors) = await app.GetRequiredService<Invitations>().CreateAsync(TestUsers.AsAdmin(adminId), email, role, Ct);
        Assert.True(errors.IsEmpty, string.Join(" ", errors.ByField.SelectMany(e => e.Value)));
        return link!.Code;
    }

    [Fact]
    public async Task Open_until_the_first_admin_then_by_invitation_only()
    {
        var app = App();
        Assert.True((await FormAsync(app)).Offered);

        var first = await SignUpAsync(app, "owner@example.com");
        var stranger = await SignUpAsync(app, "stranger@example.com");

        Assert.Equal(AppRoles.Admin, first.Role);
        Assert.False(stranger.Succeeded);
        Assert.Equal(RegistrationRules.InviteOnlyMessage, Refusal(stranger));
        Assert.False(await ExistsAsync("stranger@example.com")); // nothing half-written
        Assert.Equal(new RegistrationForm(false, RegistrationRules.InviteOnlyMessage, null), await FormAsync(app));
    }

    [Fact]
    public async Task An_invitation_makes_one_account_with_its_role_and_is_audited_without_its_code()
    {
        var app = App();
        var adminId = (await SignUpAsync(app, "owner@example.com")).UserId!.Value;
        var code = await InviteAsync(app, adminId, role: AppRoles.Author);

        Assert.Equal(new RegistrationForm(true, null, null), await FormAsync(app, code));
        var invited = await SignUpAsync(app, "guest@example.com", code);
        var again = await SignUpAsync(app, "second@example.com", code);

        Assert.Equal(AppRoles.Author, invited.Role);
        Assert.Equal(RegistrationRules.InvitationGoneMessage, Refusal(again));
        Assert.False(await ExistsAsync("second@example.com"));
        Assert.Empty(await app.GetRequiredService<Invitations>().ListOpenAsync(TestUsers.AsAdmin(adminId), Ct));
        var audited = await app.GetRequiredService<AuditLog>().ListAsync(TestUsers.AsAdmin(adminId), new(), Ct);
        Assert.Contains(audited, e => e.Action == AuditActions.InvitationCreated && e.ActorId == adminId);
        Assert.Contains(audited, e => e.Action == AuditActions.InvitationUsed && e.ActorId == invited.UserId && e.Source == "203.0.113.8");
        Assert.DoesNotContain(audited, e => e.Detail.Contains(code, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_invitation_for_one_email_takes_no_other_and_expired_withdrawn_or_made_up_codes_do_nothing()
    {
        var app = App();
        var adminId = (await SignUpAsync(app, "owner@example.com")).UserId!.Value;
        var forAda = await InviteAsync(app, adminId, "ada@example.com");
        var expiring = await InviteAsync(app, adminId);
        var withdrawn = await InviteAsync(app, adminId);
        var withdrawnId = (await app.GetRequiredService<Invitations>().ListOpenAsync(TestUsers.AsAdmin(adminId), Ct)).First(i => i.Email is null).Id;

        Assert.Equal("ada@example.com", (await FormAsync(app, forAda)).InvitedEmail);
        Assert.Equal("This invitation is for ada@example.com.", Refusal(await SignUpAsync(app, "eve@example.com", forAda)));
        Assert.True((await SignUpAsync(app, " ADA@example.com ", forAda)).Succeeded);

        Assert.Null(await app.GetRequiredService<Invitations>().WithdrawAsync(TestUsers.AsAdmin(adminId), withdrawnId, Ct));
        _clock.Advance(TimeSpan.FromDays(RegistrationRules.InvitationDays));
        foreach (var code in new[] { expiring, withdrawn, "inv_made-up-code-0000000000000000000000000", "not-even-a-code" })
        {
            Assert.Equal(RegistrationRules.InvitationGoneMessage, (await FormAsync(app, code)).Refusal);
            Assert.Equal(RegistrationRules.InvitationGoneMessage, Refusal(await SignUpAsync(app, "late@example.com", code)));
        }
        Assert.False(await ExistsAsync("late@example.com"));
    }

    [Fact]
    public async Task Two_people_with_one_invitation_at_once_make_one_account()
    {
        var app = App();
        var adminId = (await SignUpAsync(app, "owner@example.com")).UserId!.Value;
        var code = await InviteAsync(app, adminId);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => SignUpAsync(app, $"racer{i}@example.com", code)));

        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(RegistrationRules.InvitationGoneMessage, Refusal(r)));
    }

    [Fact]
    public async Task Closed_takes_nobody_not_even_with_an_invitation_while_operators_still_create_accounts()
    {
        var adminId = (await SignUpAsync(App(), "owner@example.com")).UserId!.Value;
        var code = await InviteAsync(App(), adminId);
        var closed = App(registration: "closed");

        Assert.Equal(RegistrationRules.ClosedMessage, Refusal(await SignUpAsync(closed, "guest@example.com", code)));
        Assert.Equal(RegistrationRules.ClosedMessage, (await FormAsync(closed, code)).Refusal);
        Assert.NotEqual(Guid.Empty, await TestUsers.RegisterAsync(closed, "by-operator@example.com"));
    }

    [Fact]
    public async Task Open_with_allowed_domains_takes_only_those_unless_an_admin_invited_the_email()
    {
        var adminId = (await SignUpAsync(App(), "owner@example.com")).UserId!.Value;
        var open = App(registration: "Open", domains: " example.org, @Lab.Example.net ");
        var forContractor = await InviteAsync(open, adminId, "contractor@elsewhere.test");
        var forAnyone = await InviteAsync(open, adminId);

        Assert.True((await SignUpAsync(open, "staff@example.org")).Succeeded);
        Assert.True((await SignUpAsync(open, "r@lab.example.net")).Succeeded);
        Assert.Equal("Accounts here are for email addresses at @example.org, @lab.example.net.", Refusal(await SignUpAsync(open, "x@sub.example.org")));
        Assert.Equal("Accounts here are for email addresses at @example.org, @lab.example.net.", Refusal(await SignUpAsync(open, "x@elsewhere.test", forAnyone)));
        Assert.True((await SignUpAsync(open, "contractor@elsewhere.test", forContractor)).Succeeded);
    }

    [Fact]
    public async Task An_admin_cannot_invite_an_existing_account_a_bad_email_or_an_unknown_role()
    {
        var app = App();
        var adminId = (await SignUpAsync(app, "owner@example.com")).UserId!.Value;
        var invitations = app.GetRequiredService<Invitations>();

        var (existing, taken) = await invitations.CreateAsync(TestUsers.AsAdmin(adminId), "OWNER@example.com", null, Ct);
        var (bad, badErrors) = await invitations.CreateAsync(TestUsers.AsAdmin(adminId), "not an email", "Wizard", Ct);

        Assert.Null(existing);
        Assert.Equal(["OWNER@example.com already has an account."], taken.For(Invitations.EmailField));
        Assert.Null(bad);
        Assert.NotEmpty(badErrors.For(Invitations.EmailField));
        Assert.Equal(["Unknown role 'Wizard'. Use one of: Admin, Author, User."], badErrors.For(Invitations.RoleField));
        Assert.Empty(await invitations.ListOpenAsync(TestUsers.AsAdmin(adminId), Ct));
    }
}
