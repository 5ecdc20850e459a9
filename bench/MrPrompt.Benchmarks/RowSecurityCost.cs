using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using Npgsql;

namespace MrPrompt.Benchmarks;

/// <summary>
/// What row-level security adds to each connection the app opens: the settings the policies read are
/// written with one statement per open (<see cref="RowSecurityInterceptor"/>). Times a pooled open, a
/// one-row query and the close, with and without that statement, on a scratch embedded cluster.
/// </summary>
internal static class RowSecurityCost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        var dataDir = Path.Combine(Path.GetTempPath(), "mrprompt-bench", Guid.NewGuid().ToString("N"));
        await using var server = new EmbeddedPostgresServer(new EmbeddedPostgresOptions(dataDir, null, "bench"), NullLogger<EmbeddedPostgresServer>.Instance);
        await server.StartAsync();
        try
        {
            await using var source = NpgsqlDataSource.Create(server.ConnectionString());
            var actor = new DataActor(Guid.NewGuid(), null);
            // Warm-up: pool, JIT, prepared plans.
            await TimeAsync(source, 2_000, null);
            await TimeAsync(source, 2_000, actor);
            var plain = await TimeAsync(source, rounds, null);
            var scoped = await TimeAsync(source, rounds, actor);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pooled open + SELECT 1 + close: {plain:0.0} µs; with the row-security settings: {scoped:0.0} µs; added per open: {scoped - plain:0.0} µs ({rounds:N0} rounds each)"));
            return 0;
        }
        finally
        {
            await server.StopAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Mean microseconds per round.</summary>
    private static async Task<double> TimeAsync(NpgsqlDataSource source, int rounds, DataActor? actor)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++)
        {
            await using var connection = await source.OpenConnectionAsync();
            if (actor is not null)
            {
                await RowSecurityInterceptor.ApplyAsync(connection, actor, CancellationToken.None);
            }
            await using var query = new NpgsqlCommand("SELECT 1", connection);
            await query.ExecuteScalarAsync();
        }
        return clock.Elapsed.TotalMicroseconds / rounds;
    }
}
