using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Cluster;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Cluster;

/// <summary>
/// Two instances on one database (A is the fixture's, B a second set of the app's services on the same database, listening as a
/// running instance does): what B keeps in memory stops holding within a second of a change made on A.
/// </summary>
public sealed class ClusterChangeTests(PostgresServer server) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(1);

    private readonly TestDatabase _a = new(server);
    private ServiceProvider _b = null!;

    public async ValueTask InitializeAsync()
    {
        await _a.InitializeAsync();
        _b = TestDatabase.BuildServices(_a.ConnectionString, TimeProvider.System);
        var listener = _b.GetRequiredService<ClusterChangeListener>();
        await listener.StartAsync(Ct);
        await listener.Listening.WaitAsync(TimeSpan.FromSeconds(30), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _b.GetRequiredService<ClusterChangeListener>().StopAsync(CancellationToken.None);
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    /// <summary>How long until <paramref name="holds"/> is true, looking again as soon as each look returns; fails past <paramref name="limit"/>.</summary>
    private static async Task<TimeSpan> TimeUntilAsync(Func<Task<bool>> holds, TimeSpan limit, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await holds())
        {
            Assert.True(watch.Elapsed < limit, $"{what} took longer than {limit}");
            await Task.Yield();
        }
        return watch.Elapsed;
    }

    [Fact]
    public async Task A_key_revoked_on_one_instance_is_refused_by_another_that_trusted_it_a_moment_before()
    {
        var user = await TestUsers.RegisterAsync(_a.Services);
        var created = (await _a.Services.GetRequiredService<ApiKeyService>().CreateAsync(user, "fleet", null, [], Ct)).Created!;
        var onB = _b.GetRequiredService<ApiKeyService>();
        Assert.NotNull(await onB.AuthenticateAsync(created.Secret, Ct)); // now trusted (kept) by B

        Assert.True(await _a.Services.GetRequiredService<ApiKeyService>().RevokeAsync(user, created.Key.Id, Ct));
        var took = await TimeUntilAsync(async () => await onB.AuthenticateAsync(created.Secret, Ct) is null, Promise, "B refusing the revoked key");
        TestContext.Current.TestOutputHelper?.WriteLine($"refused on B {took.TotalMilliseconds:0} ms after the revocation on A");
    }

    [Fact]
    public async Task An_account_disabled_or_given_another_role_on_one_instance_is_seen_so_by_another_within_a_second()
    {
        var admin = await TestUsers.RegisterAsync(_a.Services);
        var member = await TestUsers.RegisterAsync(_a.Services);
        await TestUsers.SetRoleAsync(_a.Services, member, "User");
        var allowancesOnB = _b.GetRequiredService<CallerAllowances>();
        Assert.Equal(("User", false), await RoleAndStandingAsync());
        var signedInAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        Assert.False(_b.GetRequiredService<AccountChanges>().ChangedSince(member, signedInAt));

        var directory = _a.Services.GetRequiredService<AccountDirectory>();
        Assert.Null(await directory.ChangeRoleAsync(TestUsers.AsAdmin(admin), member, "Author", Ct));
        await TimeUntilAsync(async () => await RoleAndStandingAsync() == ("Author", false), Promise, "B seeing the new role");
        Assert.True(_b.GetRequiredService<AccountChanges>().ChangedSince(member, signedInAt)); // B refreshes the member's sign-in cookie

        Assert.Null(await directory.SetDisabledAsync(TestUsers.AsAdmin(admin), member, true, Ct));
        await TimeUntilAsync(async () => (await RoleAndStandingAsync()).Disabled, Promise, "B refusing the disabled account");

        async Task<(string Role, bool Disabled)> RoleAndStandingAsync()
        {
            var allowance = await allowancesOnB.ForAsync(member, Ct);
            return (allowance.Role, allowance.Disabled);
        }
    }

    [Fact]
    public async Task A_provider_an_admin_adds_on_one_instance_is_usable_on_another_within_a_second()
    {
        var admin = await TestUsers.RegisterAsync(_a.Services);
        var catalogOnB = _b.GetRequiredService<ProviderCatalog>();
        await _b.GetRequiredService<StoredProviders>().RefreshAsync(force: true, Ct);
        Assert.Null(catalogOnB.Find("fleet"));

        var errors = await _a.Services.GetRequiredService<StoredProviders>().SaveAsync(TestUsers.AsAdmin(admin),
            new ProviderForm("fleet", "Fleet", ProviderKind.OpenAICompatible, "http://127.0.0.1:9/v1", "sk-fleet", true, [new StoredModel("m-1")]),
            existing: false, Ct);
        Assert.True(errors.IsEmpty, string.Join("; ", errors.ByField.SelectMany(f => f.Value)));
        await TimeUntilAsync(() => Task.FromResult(catalogOnB.Find("fleet") is not null), Promise, "B knowing the new provider");
    }
}
