using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>
/// The read side of the usage log for admins: totals, a breakdown, figures over time, pages of rows
/// and a stream of every row, all over the same filter. Every figure is exact, computed from the rows
/// themselves; the time range always bounds the scan, so a question costs what its range holds, not
/// what the table holds. Each question uses its own connection, so a page can ask them at once.
/// </summary>
public sealed class UsageReport(IDbContextFactory<AppDbContext> contexts, ProviderCatalog catalog)
{
    /// <summary>The breakdown lists at most this many groups, those with the most requests.</summary>
    public const int MaxGroups = 100;

    /// <summary>How many rows the filter matches.</summary>
    public async Task<long> CountAsync(AdminCaller admin, UsageFilter filter, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Count");
        ArgumentNullException.ThrowIfNull(admin);
        var (where, parameters) = UsageSql.Where(filter);
        await using var session = await ReportSessionAsync(cancellationToken);
        return await Query<long>(session.Db, $"SELECT count(*) AS \"Value\" FROM prompt_usage_logs u WHERE {where}", parameters).SingleAsync(cancellationToken);
    }

    /// <summary>Totals, breakdown and series at once, each on its own connection: what the usage page shows above its grid.</summary>
    public async Task<UsageOverview> OverviewAsync(AdminCaller admin, UsageFilter filter, UsageGrouping grouping, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Overview");
        var totals = TotalsAsync(admin, filter, cancellationToken);
        var breakdown = BreakdownAsync(admin, filter, grouping, cancellationToken);
        var series = SeriesAsync(admin, filter, cancellationToken);
        await Task.WhenAll(totals, breakdown, series);
        return new UsageOverview(await totals, await breakdown, await series);
    }

    public async Task<UsageTotals> TotalsAsync(AdminCaller admin, UsageFilter filter, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Totals");
        ArgumentNullException.ThrowIfNull(admin);
        var (where, parameters) = UsageSql.Where(filter);
        await using var session = await ReportSessionAsync(cancellationToken);
        var row = await Query<TotalsRow>(session.Db,
            $"SELECT '' AS key, '' AS label, {UsageSql.Aggregates} FROM prompt_usage_logs u WHERE {where}", parameters)
            .SingleAsync(cancellationToken);
        return row.ToTotals();
    }

    public async Task<UsageBreakdown> BreakdownAsync(AdminCaller admin, UsageFilter filter, UsageGrouping grouping, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Breakdown");
        ArgumentNullException.ThrowIfNull(admin);
        var (where, parameters) = UsageSql.Where(filter);
        var (key, keyText, label, joins) = UsageSql.Grouping(grouping);
        await using var session = await ReportSessionAsync(cancellationToken);
        var rows = await Query<TotalsRow>(session.Db, $"""
            WITH g AS (
                SELECT {key} AS key, {UsageSql.Aggregates}
                FROM prompt_usage_logs u WHERE {where}
                GROUP BY 1 ORDER BY requests DESC, 1 LIMIT {MaxGroups + 1})
            SELECT {keyText} AS key, {label} AS label, g.requests, g.input_tokens, g.output_tokens, g.cost_usd, g.unpriced_requests, g.errors,
                   g.latency_p50ms, g.latency_p95ms, g.time_to_first_token_p50ms, g.time_to_first_token_p95ms
            FROM g {joins}
            ORDER BY g.requests DESC, 1
            """, parameters).ToListAsync(cancellationToken);
        var groups = rows.Take(MaxGroups)
            .Select(r => new UsageGroup(r.Key, grouping == UsageGrouping.Provider ? catalog.Find(r.Key)?.DisplayName ?? r.Label : r.Label, r.ToTotals()))
            .ToList();
        return new UsageBreakdown(grouping, groups, rows.Count > MaxGroups);
    }

    /// <summary>Requests, tokens, cost and p95 latency per bucket of <see cref="UsageBuckets.For"/> the range's width.</summary>
    public async Task<UsageSeries> SeriesAsync(AdminCaller admin, UsageFilter filter, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Series");
        ArgumentNullException.ThrowIfNull(admin);
        var bucket = UsageBuckets.For(filter.To - filter.From);
        var (where, parameters) = UsageSql.Where(filter);
        parameters = [.. parameters,
            new NpgsqlParameter("bucket", NpgsqlDbType.Interval) { Value = bucket },
            new NpgsqlParameter("origin", NpgsqlDbType.TimestampTz) { Value = UsageBuckets.Origin.UtcDateTime }];
        await using var session = await ReportSessionAsync(cancellationToken);
        var rows = await Query<PointRow>(session.Db, $"""
            SELECT date_bin(@bucket, u.executed_at, @origin) AS start,
                   count(*) AS requests,
                   coalesce(sum(u.input_tokens + u.output_tokens), 0)::bigint AS tokens,
                   coalesce(sum(u.cost_usd), 0) AS cost_usd,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY u.latency_ms) FILTER (WHERE u.attempt > 0) AS latency_p95ms
            FROM prompt_usage_logs u WHERE {where}
            GROUP BY 1
            """, parameters).ToDictionaryAsync(r => r.Start, cancellationToken);
        var points = UsageBuckets.Starts(filter.From, filter.To, bucket)
            .Select(start => rows.TryGetValue(start, out var r)
                ? new UsagePoint(start, r.Requests, r.Tokens, r.CostUsd, r.LatencyP95Ms)
                : new UsagePoint(start, 0, 0, 0, null))
            .ToList();
        return new UsageSeries(bucket, points);
    }

    public async Task<IReadOnlyList<UsageRow>> PageAsync(AdminCaller admin, UsageFilter filter, UsagePageRequest page, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Page");
        ArgumentNullException.ThrowIfNull(admin);
        var (where, parameters) = UsageSql.Where(filter);
        parameters = [.. parameters,
            new NpgsqlParameter("take", NpgsqlDbType.Integer) { Value = Math.Clamp(page.Take, 1, UsagePageRequest.MaxTake) },
            new NpgsqlParameter("skip", NpgsqlDbType.Integer) { Value = Math.Max(page.Skip, 0) }];
        await using var session = await ReportSessionAsync(cancellationToken);
        var order = UsageSql.OrderBy(page.Sort, page.Descending);
        var rows = await Query<RowRecord>(session.Db, UsageSql.Rows(
            $"SELECT * FROM prompt_usage_logs u WHERE {where} ORDER BY {order} LIMIT @take OFFSET @skip") + $" ORDER BY {order}", parameters)
            .ToListAsync(cancellationToken);
        return rows.Select(r => r.ToRow()).ToList();
    }

    /// <summary>Every matching row, oldest first, read as it is sent: memory stays flat however many rows match.</summary>
    public async IAsyncEnumerable<UsageRow> StreamAsync(AdminCaller admin, UsageFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Stream");
        ArgumentNullException.ThrowIfNull(admin);
        var (where, parameters) = UsageSql.Where(filter);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = Query<RowRecord>(db, UsageSql.Rows(
            $"SELECT * FROM prompt_usage_logs u WHERE {where}") + " ORDER BY u.executed_at, u.id", parameters).AsAsyncEnumerable();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            yield return row.ToRow();
        }
    }

    /// <summary>Prompts of any owner whose key or title holds <paramref name="search"/>, for the prompt filter.</summary>
    public async Task<IReadOnlyList<UsagePromptChoice>> PromptChoicesAsync(AdminCaller admin, string? search, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("PromptChoices");
        ArgumentNullException.ThrowIfNull(admin);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var prompts = db.Prompts.AsNoTracking();
        if (LikePatterns.Containing(search) is { } pattern)
        {
            prompts = prompts.Where(p => EF.Functions.ILike(p.Key, pattern, LikePatterns.Escape) || EF.Functions.ILike(p.Title, pattern, LikePatterns.Escape));
        }
        var found = await (
            from p in prompts
            join owner in db.Users on p.OwnerId equals owner.Id
            orderby p.Key, owner.Email
            select new { p.Id, p.Key, p.Title, owner.Email })
            .Take(20).ToListAsync(cancellationToken);
        var ids = found.Select(p => p.Id).ToList();
        var versions = (await db.PromptVersions.AsNoTracking().Where(v => ids.Contains(v.PromptId))
                .Select(v => new { v.PromptId, v.Id, v.Number }).ToListAsync(cancellationToken))
            .ToLookup(v => v.PromptId);
        return found.Select(p => new UsagePromptChoice(p.Id, p.Key, p.Title, p.Email,
            versions[p.Id].OrderByDescending(v => v.Number).Select(v => (v.Id, v.Number)).ToList())).ToList();
    }

    /// <summary>
    /// A context whose transaction tunes the planner for these questions, whatever the server's defaults:
    /// sorts may use 64 MB (the usual 4 MB spills a day's percentiles to disk), JIT compilation is off
    /// (it costs more than it saves on scans of this size), and random reads cost about what sequential
    /// ones do, as on SSDs, so a filter's own index is used for rows spread over many pages. The
    /// settings end with the transaction.
    /// </summary>
    private async Task<ReportSession> ReportSessionAsync(CancellationToken cancellationToken)
    {
        var db = await contexts.CreateDbContextAsync(cancellationToken);
        try
        {
            await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL random_page_cost = 1.1", cancellationToken);
            return new ReportSession(db);
        }
        catch
        {
            // Cancelled (newer filters) or failed half-way: the connection must still go back to the pool.
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>A context in a read-only transaction; disposing it rolls the transaction back (ending its settings) and frees the connection.</summary>
    private sealed class ReportSession(AppDbContext db) : IAsyncDisposable
    {
        public AppDbContext Db => db;

        public ValueTask DisposeAsync() => db.DisposeAsync();
    }

    /// <summary>
    /// SQL built only from <see cref="UsageSql"/>'s fixed fragments and whitelisted names; every value
    /// a person typed travels in <paramref name="parameters"/>.
    /// </summary>
    private static IQueryable<T> Query<T>(AppDbContext db, string sql, NpgsqlParameter[] parameters) =>
        db.Database.SqlQueryRaw<T>(sql, parameters);

    // Raw query results, named after their snake_case columns.
    private sealed class TotalsRow
    {
        public string Key { get; set; } = "";
        public string Label { get; set; } = "";
        public long Requests { get; set; }
        public long InputTokens { get; set; }
        public long OutputTokens { get; set; }
        public decimal CostUsd { get; set; }
        public long UnpricedRequests { get; set; }
        public long Errors { get; set; }
        public double? LatencyP50Ms { get; set; }
        public double? LatencyP95Ms { get; set; }
        public double? TimeToFirstTokenP50Ms { get; set; }
        public double? TimeToFirstTokenP95Ms { get; set; }

        public UsageTotals ToTotals() => new(Requests, InputTokens, OutputTokens, CostUsd, UnpricedRequests, Errors,
            LatencyP50Ms, LatencyP95Ms, TimeToFirstTokenP50Ms, TimeToFirstTokenP95Ms);
    }

    private sealed class PointRow
    {
        public DateTimeOffset Start { get; set; }
        public long Requests { get; set; }
        public long Tokens { get; set; }
        public decimal CostUsd { get; set; }
        public double? LatencyP95Ms { get; set; }
    }

    private sealed class RowRecord
    {
        public Guid Id { get; set; }
        public DateTimeOffset ExecutedAt { get; set; }
        public string? TraceId { get; set; }
        public Guid UserId { get; set; }
        public string? UserEmail { get; set; }
        public string Source { get; set; } = "";
        public Guid? ApiKeyId { get; set; }
        public string? ApiKeyName { get; set; }
        public string Provider { get; set; } = "";
        public string Model { get; set; } = "";
        public Guid? PromptVersionId { get; set; }
        public string? PromptKey { get; set; }
        public int? PromptVersion { get; set; }
        public string Status { get; set; } = "";
        public string? ErrorCode { get; set; }
        public int Attempt { get; set; }
        public int InputTokens { get; set; }
        public int OutputTokens { get; set; }
        public bool TokensEstimated { get; set; }
        public decimal? CostUsd { get; set; }
        public int LatencyMs { get; set; }
        public int? TimeToFirstTokenMs { get; set; }
        public Guid? ChatSessionId { get; set; }

        public UsageRow ToRow() => new()
        {
            Id = Id,
            ExecutedAt = ExecutedAt,
            TraceId = TraceId,
            UserId = UserId,
            UserEmail = UserEmail,
            Source = Enum.Parse<UsageSource>(Source),
            ApiKeyId = ApiKeyId,
            ApiKeyName = ApiKeyName,
            Provider = Provider,
            Model = Model,
            PromptVersionId = PromptVersionId,
            PromptKey = PromptKey,
            PromptVersion = PromptVersion,
            Status = Enum.Parse<UsageStatus>(Status),
            ErrorCode = ErrorCode,
            Attempt = Attempt,
            InputTokens = InputTokens,
            OutputTokens = OutputTokens,
            TokensEstimated = TokensEstimated,
            CostUsd = CostUsd,
            LatencyMs = LatencyMs,
            TimeToFirstTokenMs = TimeToFirstTokenMs,
            ChatSessionId = ChatSessionId,
        };
    }
}
