using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Usage;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Usage;

/// <summary>Retention on real Postgres: the setting, its audit entry, and the sweep that deletes old rows in batches.</summary>
public sealed class UsageRetentionTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private T Get<T>() where T : notnull => database.Services.GetRequiredService<T>();

    private async Task<AdminCaller> AdminAsync()
    {
        var id = await TestUsers.RegisterAsync(database.Services);
        await TestUsers.SetRoleAsync(database.Services, id, AppRoles.Admin);
        return (await Get<AdminGate>().VerifyAsync(id, Ct))!;
    }

    [Fact]
    public async Task Usage_is_kept_for_ever_until_an_admin_sets_days_and_the_change_is_audited()
    {
        var admin = await AdminAsync();
        await using (var db = await database.CreateContextAsync())
        {
            await db.AppSettings.ExecuteDeleteAsync(Ct); // the class's other tests set days of their own
        }
        var before = await Get<UsageRetentionPolicy>().CurrentAsync(Ct);

        var tooShort = await Get<UsageRetentionPolicy>().ChangeAsync(admin, 7, Ct);
        var same = await Get<UsageRetentionPolicy>().ChangeAsync(admin, 0, Ct); // saving what is already so
        var unchanged = await Get<UsageRetentionPolicy>().CurrentAsync(Ct);
        var saved = await Get<UsageRetentionPolicy>().ChangeAsync(admin, 90, Ct);
        await Get<UsageRetentionPolicy>().ChangeAsync(admin, 90, Ct);
        var after = await Get<UsageRetentionPolicy>().CurrentAsync(Ct);

        Assert.Equal(new RetentionSetting(0, false, null), before);
        Assert.Equal("Keep usage for 31 to 3650 days, or 0 to keep it for ever.", tooShort);
        Assert.Null(saved);
        Assert.Equal((90, true), (after.Days, after.SetByAdmin));
        Assert.Null(same);
        Assert.Equal(before, unchanged);
        var audited = (await Get<AuditLog>().ListAsync(admin, new AuditQuery(AuditActions.UsageRetentionChanged), Ct)).Where(e => e.ActorId == admin.UserId);
        Assert.Equal(["Usage retention: kept for ever → 90 days"], audited.Select(e => e.Detail));
    }

    [Fact]
    public async Task A_sweep_deletes_only_rows_older_than_the_retention_batch_by_batch()
    {
        var admin = await AdminAsync();
        await Get<UsageRetentionPolicy>().ChangeAsync(admin, 40, Ct);
        var now = database.Clock.GetUtcNow();
        var cutoff = now.AddDays(-40);
        await using (var db = await database.CreateContextAsync())
        {
            // More old rows than one batch holds, so the sweep must go round again.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO prompt_usage_logs (id, user_id, provider, model, source, status, attempt, input_tokens, output_tokens, tokens_estimated, latency_ms, executed_at)
                SELECT gen_random_uuid(), {admin.UserId}, 'openai', 'gpt-4o-mini', 'Ui', 'Success', 1, 1, 1, false, 10, {cutoff} - g * interval '1 second'
                FROM generate_series(1, {UsageRetentionSweeper.BatchSize + 5}) g
                """, Ct);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO prompt_usage_logs (id, user_id, provider, model, source, status, attempt, input_tokens, output_tokens, tokens_estimated, latency_ms, executed_at)
                SELECT gen_random_uuid(), {admin.UserId}, 'openai', 'gpt-4o-mini', 'Ui', 'Success', 1, 1, 1, false, 10, {cutoff} + g * interval '1 minute'
                FROM generate_series(0, 9) g
                """, Ct);
        }

        var deleted = await Get<UsageRetentionSweeper>().SweepOnceAsync(Ct);
        var again = await Get<UsageRetentionSweeper>().SweepOnceAsync(Ct);

        Assert.Equal(UsageRetentionSweeper.BatchSize + 5, deleted);
        Assert.Equal(0, again);
        await using var check = await database.CreateContextAsync();
        var left = await check.UsageRecords.Where(u => u.UserId == admin.UserId).Select(u => u.ExecutedAt).ToListAsync(Ct);
        Assert.Equal(10, left.Count);
        Assert.All(left, at => Assert.True(at >= cutoff));
    }

    [Fact]
    public async Task Only_an_enabled_admin_passes_the_gate()
    {
        var member = await TestUsers.RegisterAsync(database.Services);
        await TestUsers.SetRoleAsync(database.Services, member, AppRoles.User); // the database's first account would be its Admin
        var admin = await AdminAsync();
        Assert.NotNull(await Get<AdminGate>().VerifyAsync(admin.UserId, Ct));
        await using (var db = await database.CreateContextAsync())
        {
            await db.Users.Where(u => u.Id == admin.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.DisabledAt, database.Clock.GetUtcNow()), Ct);
        }

        Assert.Null(await Get<AdminGate>().VerifyAsync(member, Ct));
        Assert.Null(await Get<AdminGate>().VerifyAsync(admin.UserId, Ct));
        Assert.Null(await Get<AdminGate>().VerifyAsync(null, Ct));
    }
}
