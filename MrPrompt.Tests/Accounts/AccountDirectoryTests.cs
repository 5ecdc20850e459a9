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

    [Fact]
    public async Task An_admin_sets_a_budget_that_calls_feel_at_once_and_the_audit_log_records_it()
    {
        var user = await TestUsers.RegisterAsync(fixture.Services);
        var allowances = fixture.Services.GetRequiredService<MrPrompt.Infrastructure.Gateway.Limits.CallerAllowances>();
        var before = (await allowances.ForAsync(user, Ct)).MonthlyBudgetUsd; // cached from here on

        Assert.Null(await Directory.SetBudgetAsync(Admin, user, 12.50m, Ct));

        Assert.Equal(12.50m, (await allowances.ForAsync(user, Ct)).MonthlyBudgetUsd);
        Assert.NotEqual(before, 12.50m);
        Assert.Equal(12.50m, (await Directory.ListAsync(Admin, null, Ct)).Single(a => a.Id == user).MonthlyBudgetUsd);
        Assert.Equal("A monthly budget is in whole cents, such as 25.50.", await Directory.SetBudgetAsync(Admin, user, 1.005m, Ct));
        Assert.StartsWith("A monthly budget is between $0", await Directory.SetBudgetAsync(Admin, user, -1m, Ct), StringComparison.Ordinal);
        Assert.Equal("This account no longer exists.", await Directory.SetBudgetAsync(Admin, Guid.NewGuid(), 5m, Ct));
        Assert.Null(await Directory.SetBudgetAsync(Admin, user, null, Ct));
        Assert.Equal(before, (await allowances.ForAsync(user, Ct)).MonthlyBudgetUsd);
        var changes = await fixture.Services.GetRequiredService<MrPrompt.Infrastructure.Audit.AuditLog>()
            .ListAsync(Admin, new(AuditActions.BudgetChanged), Ct);
        Assert.Equal(2, changes.Count(e => e.TargetId == user));
        Assert.Contains(changes, e => e.TargetId == user && e.Detail.EndsWith("the default → $12.50", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Spend_this_month_is_counted_per_api_key()
    {
        var user = await TestUsers.RegisterAsync(fixture.Services);
        var (keyA, keyB) = (Guid.NewGuid(), Guid.NewGuid());
        var now = DateTimeOffset.UtcNow;
        await using (var db = await fixture.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct))
        {
            db.UsageRecords.AddRange(
                ByKey(Row(user, now, 0.25m), keyA),
                ByKey(Row(user, now, 0.50m), keyA),
                ByKey(Row(user, now, 1m), keyB),
                ByKey(Row(user, now.AddMonths(-2), 9m), keyB),
                Row(user, now, 4m));
            await db.SaveChangesAsync(Ct);
        }

        var byKey = await Directory.MonthToDateByKeyAsync(Admin, Ct);

        Assert.Equal((new MonthToDate(2, 0.75m), new MonthToDate(1, 1m)), (byKey[keyA], byKey[keyB]));
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

    private static UsageRecord ByKey(UsageRecord row, Guid apiKeyId)
    {
        row.ApiKeyId = apiKeyId;
        return row;
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
