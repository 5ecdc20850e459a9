using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>
/// Monthly spend per user against their budget. A call reserves its estimated maximum cost before it
/// starts and settles on what it really cost; as reservations count as spent, concurrent calls cannot
/// together overspend (only a call costing more than its estimate can, and only by that difference).
/// The month's spend is read from the usage log once, then kept here (one small entry per user active
/// this month), so every instance should run alone or budgets are per instance.
/// </summary>
public sealed class BudgetLedger(IDbContextFactory<AppDbContext> contexts, TimeProvider clock, Microsoft.Extensions.Options.IOptionsMonitor<LimitOptions> options)
{
    private readonly ConcurrentDictionary<(Guid UserId, DateTimeOffset Month), Lazy<Task<Month>>> _months = new();

    private sealed class Month(decimal spent)
    {
        public decimal Spent = spent;
        public decimal Reserved;
    }

    /// <summary>A reservation to settle once the call's real cost is known.</summary>
    public sealed class Reservation(BudgetLedger ledger, Guid userId, DateTimeOffset month, decimal amount)
    {
        private int _settled;

        public void Settle(decimal actualCost)
        {
            if (Interlocked.Exchange(ref _settled, 1) == 0)
            {
                ledger.Release(userId, month, amount, actualCost);
            }
        }
    }

    /// <summary>Reserves <paramref name="estimate"/>; null with what was spent when it does not fit under <paramref name="budget"/>.</summary>
    public async Task<(Reservation? Reservation, decimal Spent)> TryReserveAsync(Guid userId, decimal budget, decimal estimate, CancellationToken cancellationToken)
    {
        var month = MonthOf(clock.GetUtcNow());
        var entry = await EntryAsync(userId, month, cancellationToken);
        lock (entry)
        {
            if (entry.Spent + entry.Reserved + estimate > budget)
            {
                return (null, entry.Spent);
            }
            entry.Reserved += estimate;
        }
        return (new Reservation(this, userId, month, estimate), entry.Spent);
    }

    /// <summary>Adds the cost of a call that needed no reservation (background work), so the month's total stays true.</summary>
    public async Task RecordAsync(Guid userId, decimal cost, CancellationToken cancellationToken)
    {
        var entry = await EntryAsync(userId, MonthOf(clock.GetUtcNow()), cancellationToken);
        lock (entry)
        {
            entry.Spent += cost;
        }
    }

    /// <summary>
    /// Adds the cost of a call made while the user had no cap, to a month already being tracked, so a
    /// cap set again later in the month starts from the true spend.
    /// </summary>
    public void RecordIfTracked(Guid userId, decimal cost)
    {
        if (cost > 0 && _months.TryGetValue((userId, MonthOf(clock.GetUtcNow())), out var loading)
            && loading.IsValueCreated && loading.Value.IsCompletedSuccessfully)
        {
            var entry = loading.Value.Result;
            lock (entry)
            {
                entry.Spent += cost;
            }
        }
    }

    /// <summary>When the current budget month ends (UTC), for Retry-After and the message.</summary>
    public DateTimeOffset RenewsAt() => MonthOf(clock.GetUtcNow()).AddMonths(1);

    private void Release(Guid userId, DateTimeOffset month, decimal reserved, decimal actual)
    {
        if (!_months.TryGetValue((userId, month), out var loading) || !loading.IsValueCreated || !loading.Value.IsCompletedSuccessfully)
        {
            return;
        }
        var entry = loading.Value.Result;
        lock (entry)
        {
            entry.Reserved -= reserved;
            entry.Spent += actual;
        }
    }

    private async Task<Month> EntryAsync(Guid userId, DateTimeOffset month, CancellationToken cancellationToken)
    {
        // One load per user and month even when many calls arrive at once: two ledgers would each allow the full budget.
        var loading = _months.GetOrAdd((userId, month), key => new Lazy<Task<Month>>(() => LoadAsync(key.UserId, key.Month)));
        try
        {
            return await loading.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (loading.Value.IsFaulted)
        {
            _months.TryRemove(new((userId, month), loading)); // the next call tries the database again
            throw;
        }
    }

    private async Task<Month> LoadAsync(Guid userId, DateTimeOffset month)
    {
        foreach (var old in _months.Keys.Where(k => k.Month < month))
        {
            _months.TryRemove(old, out _);
        }
        // Kept for the month whoever asks first: summed across accounts, so it never depends on that caller's scope.
        using var acrossAccounts = DataScope.AsSystem("month's spend of one account");
        await using var db = await contexts.CreateDbContextAsync();
        var rows = db.UsageRecords.Where(u => u.UserId == userId && u.ExecutedAt >= month);
        var spent = await rows.Where(u => u.CostUsd != null).SumAsync(u => u.CostUsd!.Value);
        // Calls of models with no known price count at the fallback price, as they did when they settled.
        if (options.CurrentValue.UnknownModelPrice is { } fallback)
        {
            spent += fallback.CostOf(await rows.Where(u => u.CostUsd == null).SumAsync(u => (long)u.InputTokens + u.OutputTokens), 0);
        }
        return new Month(spent);
    }

    private static DateTimeOffset MonthOf(DateTimeOffset now) => new(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
}
