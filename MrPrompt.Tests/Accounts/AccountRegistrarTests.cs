using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Accounts;

/// <summary>Each test gets a fresh database, because "first account" depends on an empty one.</summary>
public sealed class AccountRegistrarTests(PostgresServer server) : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync()
    {
        _database = new TestDatabase(server);
        await _database.InitializeAsync();
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private async Task<RegistrationResult> RegisterAsync(string email, string password = "Passw0rd!")
    {
        await using var scope = _database.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<AccountRegistrar>().RegisterAsync(email, password, TestContext.Current.CancellationToken);
    }

    private async Task<(int Users, int Profiles, int RoleLinks)> CountRowsAsync()
    {
        await using var db = await _database.CreateContextAsync();
        var ct = TestContext.Current.CancellationToken;
        return (await db.Users.CountAsync(ct), await db.Profiles.CountAsync(ct), await db.UserRoles.CountAsync(ct));
    }

    [Fact]
    public async Task First_account_becomes_admin_and_later_ones_are_users()
    {
        var first = await RegisterAsync("first@example.com");
        var second = await RegisterAsync("second@example.com");

        Assert.Equal(AppRoles.Admin, first.Role);
        Assert.Equal(AppRoles.User, second.Role);
        await using var scope = _database.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        Assert.Equal(["second@example.com"], (await users.GetUsersInRoleAsync(AppRoles.User)).Select(u => u.Email));
    }

    [Fact]
    public async Task Simultaneous_first_registrations_make_exactly_one_admin()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => RegisterAsync($"racer{i}@example.com")));

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Single(results, r => r.Role == AppRoles.Admin);
    }

    [Fact]
    public async Task Registration_creates_a_profile_named_after_the_email()
    {
        var result = await RegisterAsync("grace.hopper@example.com");
        await using var db = await _database.CreateContextAsync();
        var profile = await db.Profiles.SingleAsync(p => p.Id == result.UserId, TestContext.Current.CancellationToken);
        Assert.Equal("grace.hopper", profile.DisplayName);
    }

    [Fact]
    public async Task Duplicate_email_is_refused_on_the_email_field_and_saves_nothing()
    {
        await RegisterAsync("taken@example.com");
        var before = await CountRowsAsync();

        var again = await RegisterAsync("TAKEN@example.com");

        Assert.False(again.Succeeded);
        Assert.Equal(["An account with this email already exists."], again.Errors.For(IdentityErrorFields.Email));
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task Weak_password_is_refused_on_the_password_field_and_saves_nothing()
    {
        var result = await RegisterAsync("weak@example.com", "short");

        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors.For(IdentityErrorFields.Password));
        Assert.Equal((0, 0, 0), await CountRowsAsync());
    }

    [Fact]
    public async Task A_refused_first_registration_does_not_use_up_the_admin_role()
    {
        await RegisterAsync("weak@example.com", "short");
        var next = await RegisterAsync("real@example.com");
        Assert.Equal(AppRoles.Admin, next.Role);
    }
}
