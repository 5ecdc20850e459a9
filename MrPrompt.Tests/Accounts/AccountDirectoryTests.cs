using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Usage;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Accounts;

/// <summary>Managing people on real Postgres: roles with the last-Admin rule, disabling, and each account's month so far.</summary>
public sealed class AccountDirectoryTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private AccountDirectory Directory => fixture.Services.GetRequiredService<AccountDirectory>();

    /// <summary>The acting admin; who may act is AdminGate's question, tested on its own.</summary>
    private MrPrompt.Infrastructure.Admin.AdminCaller Admin => TestUsers.AsAdmin(fixture.UserId);

    [Fact]
    public async Task Roles_change_but_the_last_enabled_admin_can_be_neither_demoted_nor_disabled()
    {
        var first = await TestUsers.RegisterAsync(fixture.Services);
        var second = await TestUsers.RegisterAsync(fixture.Services);
        await OnlyAdminsAsync(first, second);

        var demoted = await Directory.ChangeRoleAsync(Admin, first, AppRoles.Author, Ct);
        var lastDemoted = await Directory.ChangeRoleAsync(Admin, second, AppRoles.User, Ct);
        var lastDisabled = await Directory.SetDisabledAsync(Admin, second, disabled: true, Ct);
        var unknown = await Directory.ChangeRoleAsync(Admin, first, "root", Ct);
        var unchanged = await Directory.ChangeRoleAsync(Admin, second, AppRoles.Admin, Ct);

        Assert.Null(demoted);
        Assert.Equal("This is the last Admin: make someone else Admin first.", lastDemoted);
        Assert.Equal("This is the last Admin: it cannot be disabled.", lastDisabled);
        Assert.Contains("Unknown role 'root'", unknown, StringComparison.Ordinal);
        Assert.Null(unchanged);
        var roleChanges = await fixture.Services.GetRequiredService<MrPrompt.Infrastructure.Audit.AuditLog>()
            .ListAsync(Admin, new(MrPrompt.Domain.Accounts.AuditActions.RoleChanged), Ct);
        Assert.DoesNotContain(roleChanges, e => e.TargetId == second); // the no-op is not recorded
        var roles = (await Directory.ListAsync(Admin, null, Ct)).ToDictionary(a => a.Id, a => a.Role);
        Assert.Equal((AppRoles.Author, AppRoles.Admin), (roles[first], roles[second]));
    }

    [Fact]
    public async Task Two_admins_demoting_each_other_at_once_leave_one_admin()
    {
        var (a, b) = (await TestUsers.RegisterAsync(fixture.Services), await TestUsers.RegisterAsync(fixture.Services));
        await OnlyAdminsAsync(a, b);

        var results = await Task.WhenAll(Directory.ChangeRoleAsync(Admin, a, AppRoles.User, Ct), Directory.ChangeRoleAsync(Admin, b, AppRoles.User, Ct));

        Assert.Single(results, r => r is null);
        Assert.Single(await Directory.ListAsync(Admin, null, Ct), x => x.Role == AppRoles.Admin);
    }

    [Fact]
    public async Task Each_accounts_requests_and_spend_this_month_come_from_the_usage_log()
    {
        var user = await TestUsers.RegisterAsync(fixture.Services);
        var now = DateTimeOffset.UtcNow;
        await using (var db = await fixture.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            db.UsageRecords.AddRange(
                Row(user, now, 0.25m), Row(user, now.AddMinutes(-1), 0.5m), Row(user, now.AddMonths(-1).AddDays(-1), 9m));
            await db.SaveChangesAsync(Ct);
        }

        var month = await Directory.MonthToDateAsync(Admin, Ct);

        Assert.Equal(new MonthToDate(2, 0.75m), month[user]);
    }

    /// <summary>Makes these accounts the only Admins in this class's database, whatever earlier tests left.</summary>
    private async Task OnlyAdminsAsync(params Guid[] admins)
    {
        foreach (var admin in admins)
        {
            await TestUsers.SetRoleAsync(fixture.Services, admin, AppRoles.Admin);
        }
        foreach (var other in (await Directory.ListAsync(Admin, null, Ct)).Where(x => x.Role == AppRoles.Admin && !admins.Contains(x.Id)))
        {
            await TestUsers.SetRoleAsync(fixture.Services, other.Id, AppRoles.User);
        }
    }

    private static UsageRecord Row(Guid userId, DateTimeOffset at, decimal cost) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = userId,
        Provider = "openai",
        Model = "gpt-4o-mini",
        Source = UsageSource.Api,
        Status = UsageStatus.Success,
        Attempt = 1,
        CostUsd = cost,
        TraceId = Guid.NewGuid().ToString("N"),
        ExecutedAt = at,
    };
}
