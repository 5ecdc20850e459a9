using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Benchmarks;

/// <summary>
/// <c>usage-seed</c> fills a database with generated usage; <c>usage-page</c> seeds a scratch cluster
/// (by default a million rows over 30 days) and times what the admin usage page asks when it opens,
/// with its default filters and with others, as the page asks it: overview and first grid page at once.
/// </summary>
internal static class UsagePageTiming
{
    private const int Runs = 15;

    public static async Task<int> SeedAsync(string[] args)
    {
        var database = Option(args, "--database");
        if (database is null)
        {
            Console.Error.WriteLine("usage-seed --database <connection string> [--rows 1000000] [--days 30] [--people 300]");
            return 2;
        }
        await using var provider = await BenchServices.StartAsync(database);
        var seeder = new UsageSeeder(provider);
        var population = await seeder.AddPopulationAsync(int.Parse(Option(args, "--people") ?? "300"));
        await seeder.WriteRowsAsync(population, int.Parse(Option(args, "--rows") ?? "1000000"), int.Parse(Option(args, "--days") ?? "30"),
            done => Console.WriteLine($"  {done:N0} rows"));
        return 0;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (Option(args, "--database") is { } database)
        {
            // Someone else's database: measure as one of its Admins, change nothing.
            await using var existing = await BenchServices.StartAsync(database);
            await MeasureAsync(existing, await AdminAsync(existing, Option(args, "--admin") ?? throw new ArgumentException("--database needs --admin <an Admin's email>")));
            return 0;
        }
        var rows = int.Parse(Option(args, "--rows") ?? "1000000");
        var days = int.Parse(Option(args, "--days") ?? "30");
        var dataDir = Path.Combine(Path.GetTempPath(), "mrprompt-bench", Guid.NewGuid().ToString("N"));
        await using var server = new EmbeddedPostgresServer(new EmbeddedPostgresOptions(dataDir, null, "bench"), NullLogger<EmbeddedPostgresServer>.Instance);
        await server.StartAsync();
        try
        {
            await using var provider = await BenchServices.StartAsync(server.ConnectionString());
            var admin = await FirstAccountAsync(provider);
            var seeder = new UsageSeeder(provider);
            var population = await seeder.AddPopulationAsync(300);
            await seeder.WriteRowsAsync(population, rows, days, done => Console.WriteLine($"  {done:N0} rows"));
            await MeasureAsync(provider, admin);
            return 0;
        }
        finally
        {
            await server.StopAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>The first account of a new installation: its Admin.</summary>
    private static async Task<AdminCaller> FirstAccountAsync(IServiceProvider provider)
    {
        const string email = "admin@bench.example";
        await using (var scope = provider.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<AccountRegistrar>().RegisterAsync(email, "Passw0rd!");
        }
        return await AdminAsync(provider, email);
    }

    private static async Task<AdminCaller> AdminAsync(IServiceProvider provider, string email)
    {
        await using var db = await provider.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var id = await db.Users.Where(u => u.Email == email).Select(u => (Guid?)u.Id).SingleOrDefaultAsync();
        return await provider.GetRequiredService<AdminGate>().VerifyAsync(id)
            ?? throw new InvalidOperationException($"{email} is not an enabled Admin of this database.");
    }

    private static async Task MeasureAsync(IServiceProvider provider, AdminCaller admin)
    {
        var report = provider.GetRequiredService<UsageReport>();
        var now = DateTimeOffset.UtcNow;
        var week = UsageRanges.Ending(UsageRange.Last7Days, now);
        Guid heaviest, version;
        await using (var db = await provider.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            heaviest = await db.UsageRecords.GroupBy(u => u.UserId).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstAsync();
            version = await db.UsageRecords.Where(u => u.PromptVersionId != null).Select(u => u.PromptVersionId!.Value).FirstAsync();
        }
        var cases = new (string Name, UsageFilter Filter, UsageGrouping Grouping, UsagePageRequest Page)[]
        {
            ("default: last 24 hours, by provider", UsageRanges.Ending(UsageRanges.Default, now), UsageGrouping.Provider, new()),
            ("last 7 days", week, UsageGrouping.Provider, new()),
            ("last 30 days (every row)", UsageRanges.Ending(UsageRange.Last30Days, now), UsageGrouping.Provider, new()),
            ("last 7 days, by user", week, UsageGrouping.User, new()),
            ("last 7 days, one user (the busiest)", week with { UserId = heaviest }, UsageGrouping.Model, new()),
            ("last 7 days, one provider", week with { Provider = "anthropic" }, UsageGrouping.Model, new()),
            ("last 7 days, errors only", week with { Status = UsageStatus.Error }, UsageGrouping.Provider, new()),
            ("last 7 days, one prompt version", week with { PromptVersionId = version }, UsageGrouping.User, new()),
            ("last 7 days, sorted by cost", week, UsageGrouping.Provider, new(UsageSort.CostUsd)),
            ("last 7 days, page 100", week, UsageGrouping.Provider, new(Skip: 99 * 50)),
        };
        Console.WriteLine();
        Console.WriteLine("| page load (overview + first grid page, at once) | rows in range | median | p95 |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (var (name, filter, grouping, page) in cases)
        {
            var times = new List<double>();
            long matched = 0;
            for (var run = 0; run < Runs + 2; run++)
            {
                var clock = Stopwatch.StartNew();
                var overview = report.OverviewAsync(admin, filter, grouping);
                var rows = report.PageAsync(admin, filter, page);
                await Task.WhenAll(overview, rows);
                clock.Stop();
                matched = (await overview).Totals.Requests;
                if (run >= 2)
                {
                    times.Add(clock.Elapsed.TotalMilliseconds); // the first two warm the caches and the connection pool
                }
            }
            times.Sort();
            Console.WriteLine($"| {name} | {matched:N0} | {times[times.Count / 2]:F0} ms | {times[(int)Math.Ceiling(times.Count * 0.95) - 1]:F0} ms |");
        }

        var exported = 0L;
        var export = Stopwatch.StartNew();
        await foreach (var _ in report.StreamAsync(admin, week))
        {
            exported++;
        }
        Console.WriteLine();
        Console.WriteLine($"stream of the last 7 days (as the CSV export reads it): {exported:N0} rows in {export.Elapsed.TotalSeconds:F1} s = {exported / export.Elapsed.TotalSeconds:N0} rows/s");
    }


    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
