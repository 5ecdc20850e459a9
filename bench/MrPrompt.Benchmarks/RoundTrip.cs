using System.Diagnostics;
using Npgsql;

namespace MrPrompt.Benchmarks;

/// <summary>
/// What one pooled Postgres round trip costs from .NET: open from the pool, one statement, close — 3,000 times, one after
/// another or with a pause between (a request's database work comes after it waited on the provider). Shows the price of
/// the pool's reset (a connection string with <c>No Reset On Close=true</c> against one without) and of waking up.
/// </summary>
public static class RoundTrip
{
    private const int Rounds = 3_000;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("roundtrip <connection string> [sql, default SELECT 1] [pause between, ms]");
            return 1;
        }
        var sql = args.Length > 1 ? args[1] : "SELECT 1";
        var pause = args.Length > 2 ? TimeSpan.FromMilliseconds(int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)) : TimeSpan.Zero;
        var took = new List<double>(Rounds);
        for (var i = 0; i < Rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            await using (var connection = new NpgsqlConnection(args[0]))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
            took.Add(watch.Elapsed.TotalMilliseconds);
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause);
            }
        }
        took.Sort();
        Console.WriteLine($"{Rounds} round trips: p50 {took[Rounds / 2]:F3} ms, p90 {took[Rounds * 9 / 10]:F3} ms, p99 {took[Rounds * 99 / 100]:F3} ms");
        return 0;
    }
}
