using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Benchmarks;

/// <summary>
/// Sustained rows per second through the real usage writer into a local Postgres (the embedded
/// launcher's, on a scratch cluster), and whether every row arrived.
/// </summary>
internal static class UsageWriterThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rate = args.Length > 0 && int.TryParse(args[0], out var requested) ? requested : 25_000;
        var seconds = args.Length > 1 && int.TryParse(args[1], out var duration) ? duration : 10;
        var dataDir = Path.Combine(Path.GetTempPath(), "mrprompt-bench", Guid.NewGuid().ToString("N"));
        await using var server = new EmbeddedPostgresServer(new EmbeddedPostgresOptions(dataDir, null, "bench"), NullLogger<EmbeddedPostgresServer>.Instance);
        await server.StartAsync();
        try
        {
            await using var provider = await BenchServices.StartAsync(server.ConnectionString());
            var userId = await UserAsync(provider);
            var drain = await MeasureDrainAsync(provider, userId);
            var sustained = await MeasureSustainedAsync(provider, userId, rate, seconds);
            return drain && sustained ? 0 : 1;
        }
        finally
        {
            await server.StopAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>How fast a full buffer empties into Postgres: the writer's ceiling.</summary>
    private static async Task<bool> MeasureDrainAsync(IServiceProvider provider, Guid userId)
    {
        const int rows = 100_000;
        var writer = NewWriter(provider);
        for (var i = 0; i < rows; i++)
        {
            writer.Record(Row(userId, i, "drain"));
        }
        var clock = Stopwatch.StartNew();
        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);
        clock.Stop();
        var stored = await CountAsync(provider, "drain");
        Console.WriteLine($"drain: {rows:N0} buffered rows stored in {clock.Elapsed.TotalSeconds:F2} s = {rows / clock.Elapsed.TotalSeconds:N0} rows/s; stored {stored:N0}, dropped {writer.Dropped:N0}");
        return stored == rows && writer.Dropped == 0;
    }

    /// <summary>Rows arriving steadily at <paramref name="rate"/> per second from many callers: all must land.</summary>
    private static async Task<bool> MeasureSustainedAsync(IServiceProvider provider, Guid userId, int rate, int seconds)
    {
        var writer = NewWriter(provider);
        await writer.StartAsync(CancellationToken.None);
        var total = rate * seconds;
        var producers = Environment.ProcessorCount;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            var sent = 0;
            for (var i = p; i < total; i += producers)
            {
                writer.Record(Row(userId, i, "sustained"));
                // Keep to the schedule: every millisecond's share, no faster.
                if (++sent % 100 == 0)
                {
                    var due = TimeSpan.FromSeconds((double)i / rate);
                    if (due > clock.Elapsed)
                    {
                        await Task.Delay(due - clock.Elapsed);
                    }
                }
            }
        })));
        await writer.StopAsync(CancellationToken.None);
        clock.Stop();
        var stored = await CountAsync(provider, "sustained");
        Console.WriteLine($"sustained: {total:N0} rows at {rate:N0}/s for {seconds} s -> {stored:N0} stored, {writer.Dropped:N0} dropped, {total / clock.Elapsed.TotalSeconds:N0} rows/s achieved");
        return stored == total && writer.Dropped == 0;
    }

    private static UsageLogWriter NewWriter(IServiceProvider provider) => new(
        provider.GetRequiredService<IDbContextFactory<AppDbContext>>(),
        provider.GetRequiredService<DatabaseConnection>(),
        Microsoft.Extensions.Options.Options.Create(new UsageWriterOptions()),
        provider.GetRequiredService<IMeterFactory>(),
        NullLogger<UsageLogWriter>.Instance);


    private static async Task<Guid> UserAsync(IServiceProvider provider)
    {
        await using var scope = provider.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<AccountRegistrar>().RegisterAsync("bench@example.com", "Passw0rd!")).UserId!.Value;
    }

    private static async Task<long> CountAsync(IServiceProvider provider, string trace)
    {
        await using var db = await provider.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.UsageRecords.LongCountAsync(u => u.TraceId == trace);
    }

    private static UsageRecord Row(Guid userId, int i, string trace) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = userId,
        Provider = "openai",
        Model = "gpt-4o-mini",
        Source = UsageSource.Api,
        Status = UsageStatus.Success,
        InputTokens = 100 + (i % 900),
        OutputTokens = 50 + (i % 400),
        CostUsd = 0.0001m,
        LatencyMs = 200 + (i % 3000),
        TimeToFirstTokenMs = 100 + (i % 500),
        TraceId = trace,
        ExecutedAt = DateTimeOffset.UtcNow,
    };
}
