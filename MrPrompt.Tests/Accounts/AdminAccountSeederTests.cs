using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Accounts;

public sealed class AdminAccountSeederTests(PostgresServer server)
{
    private static Dictionary<string, string?> AdminSettings(string email, string password) =>
        new() { ["Admin:Email"] = email, ["Admin:Password"] = password };

    private static async Task StartAsync(string connectionString, Dictionary<string, string?> settings)
    {
        await using var services = TestDatabase.BuildServices(connectionString, new FakeTimeProvider(), settings);
        await services.GetRequiredService<DatabaseStartup>().RunAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<T> WithUsersAsync<T>(string connectionString, Func<UserManager<ApplicationUser>, Task<T>> action)
    {
        await using var services = TestDatabase.BuildServices(connectionString, new FakeTimeProvider());
        await using var scope = services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>());
    }

    [Fact]
    public async Task Configured_admin_is_created_at_start()
    {
        var db = await server.CreateDatabaseAsync("seed");
        await StartAsync(db, AdminSettings("ops@example.com", "Adm1nPassword"));

        var (roles, passwordOk) = await WithUsersAsync(db, async users =>
        {
            var admin = await users.FindByEmailAsync("ops@example.com");
            return (await users.GetRolesAsync(admin!), await users.CheckPasswordAsync(admin!, "Adm1nPassword"));
        });
        Assert.Equal([AppRoles.Admin], roles);
        Assert.True(passwordOk);
    }

    [Fact]
    public async Task Restart_with_a_new_password_resets_it_and_unlocks_the_account()
    {
        var db = await server.CreateDatabaseAsync("reset");
        await StartAsync(db, AdminSettings("ops@example.com", "Adm1nPassword"));
        await WithUsersAsync(db, async users =>
            await users.SetLockoutEndDateAsync((await users.FindByEmailAsync("ops@example.com"))!, DateTimeOffset.UtcNow.AddHours(1)));

        await StartAsync(db, AdminSettings("ops@example.com", "N3wAdminPassword"));

        var (oldOk, newOk, locked) = await WithUsersAsync(db, async users =>
        {
            var admin = (await users.FindByEmailAsync("ops@example.com"))!;
            return (await users.CheckPasswordAsync(admin, "Adm1nPassword"), await users.CheckPasswordAsync(admin, "N3wAdminPassword"), await users.IsLockedOutAsync(admin));
        });
        Assert.False(oldOk);
        Assert.True(newOk);
        Assert.False(locked);
    }

    [Fact]
    public async Task An_existing_user_named_as_admin_is_promoted_with_one_role()
    {
        var db = await server.CreateDatabaseAsync("promote");
        await StartAsync(db, []);
        await using (var services = TestDatabase.BuildServices(db, new FakeTimeProvider()))
        await using (var scope = services.CreateAsyncScope())
        {
            var registrar = scope.ServiceProvider.GetRequiredService<AccountRegistrar>();
            await registrar.RegisterAsync("owner@example.com", "Passw0rd!", TestContext.Current.CancellationToken);
            await registrar.RegisterAsync("later@example.com", "Passw0rd!", TestContext.Current.CancellationToken);
        }

        await StartAsync(db, AdminSettings("later@example.com", "Adm1nPassword"));

        var roles = await WithUsersAsync(db, async users => await users.GetRolesAsync((await users.FindByEmailAsync("later@example.com"))!));
        Assert.Equal([AppRoles.Admin], roles);
    }

    [Fact]
    public async Task Weak_configured_password_stops_start_up_with_a_clear_reason()
    {
        var db = await server.CreateDatabaseAsync("weak");
        var error = await Assert.ThrowsAsync<StartupException>(() => StartAsync(db, AdminSettings("ops@example.com", "weak")));
        Assert.StartsWith("Could not create the admin account from Admin:Email", error.Message);
    }

    [Fact]
    public async Task Email_without_password_is_a_configuration_error()
    {
        var db = await server.CreateDatabaseAsync("half");
        var error = await Assert.ThrowsAsync<StartupException>(() =>
            StartAsync(db, new Dictionary<string, string?> { ["Admin:Email"] = "ops@example.com" }));
        Assert.Contains("Admin:Email and Admin:Password must be set together.", error.Message);
    }
}
