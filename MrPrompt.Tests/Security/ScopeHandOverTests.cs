using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Security;

/// <summary>
/// Where one flow hands work to another, the scope row-level security reads must be the right one: an
/// admin's change reaches the changed account's pages as that account, and a cached sum does not depend on
/// whose flow filled it.
/// </summary>
public sealed class ScopeHandOverTests(PostgresServer server) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServiceProvider? _services;

    private IServiceProvider Services => _services!;

    public async ValueTask InitializeAsync()
    {
        var owner = await server.CreateDatabaseAsync("scope-handover");
        _services = TestDatabase.BuildServices(server.AsAppRole(owner), new FakeTimeProvider(DateTimeOffset.UtcNow),
            new Dictionary<string, string?> { ["ConnectionStrings:Migrations"] = owner });
        await Services.GetRequiredService<DatabaseStartup>().RunAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_counters_pool_keeps_its_sessions_and_each_batch_replaces_the_scope_the_last_one_left()
    {
        var counters = Services.GetRequiredService<CallerCounters>();
        var account = Guid.NewGuid();
        var (asAccount, backend) = await ScopeSeenAsync(counters, new DataActor(account, null));
        Assert.Equal((account.ToString(), ""), asAccount);
        // The same pooled connection each time, not reset between uses: whatever the last batch left, the next names its own.
        Assert.Equal((("", "on"), backend), await ScopeSeenAsync(counters, new DataActor(null, "test: system work")));
        Assert.Equal(((account.ToString(), ""), backend), await ScopeSeenAsync(counters, new DataActor(account, null)));
        Assert.Equal((("", "on"), backend), await ScopeSeenAsync(counters, new DataActor(null, "test: system work")));
        Assert.Equal((("", ""), backend), await ScopeSeenAsync(counters, CallerCounters.NoAccount));
    }

    private static async Task<((string User, string System) Scope, int Backend)> ScopeSeenAsync(CallerCounters counters, DataActor actor)
    {
        await using var connection = await counters.OpenAsync(Ct);
        await using var batch = CallerCounters.Batch(connection, actor,
            CallerCounters.Command("SELECT current_setting('app.user_id', true), current_setting('app.system', true), pg_backend_pid()"));
        await using var reader = await CallerCounters.ReadLastAsync(batch, Ct);
        await reader.ReadAsync(Ct);
        return ((reader.IsDBNull(0) ? "" : reader.GetString(0), reader.IsDBNull(1) ? "" : reader.GetString(1)), reader.GetInt32(2));
    }

    [Fact]
    public async Task An_admins_change_reaches_the_accounts_listeners_as_that_account_and_what_they_start()
    {
        var changes = new AccountChanges(TimeProvider.System, null!); // only this instance: nothing is published
        var account = Guid.NewGuid();
        DataActor? inHandler = null;
        Task<DataActor?>? started = null;
        changes.Changed += _ =>
        {
            inHandler = DataScope.Current;
            started = Task.Run(() => DataScope.Current, Ct);
        };

        using (DataScope.AsSystem("test: an admin disables an account"))
        {
            changes.RecordHere(account);
            Assert.True(DataScope.Current?.IsSystem); // the admin's own flow is unchanged
        }

        Assert.Equal(new DataActor(account, null), inHandler);
        Assert.Equal(new DataActor(account, null), await started!);
    }

    [Fact]
    public async Task A_budget_sum_filled_by_another_accounts_flow_still_counts_every_spend()
    {
        var spender = await TestUsers.RegisterAsync(Services);
        var other = await TestUsers.RegisterAsync(Services);
        var now = Services.GetRequiredService<TimeProvider>().GetUtcNow();
        using (DataScope.AsSystem("test: a month of spend"))
        {
            await using var db = await Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
            db.UsageRecords.Add(new UsageRecord { Id = Guid.NewGuid(), UserId = spender, Provider = "openai", Model = "gpt-4o", CostUsd = 7.5m, ExecutedAt = now });
            await db.SaveChangesAsync(Ct);
        }
        var ledger = Services.GetRequiredService<BudgetLedger>();

        decimal spent;
        using (DataScope.ForUser(other)) // whoever asks first fills the month's figure
        {
            (_, spent) = await ledger.TryReserveAsync(spender, budget: 10m, estimate: 5m, Ct);
        }

        Assert.Equal(7.5m, spent);
    }
}
