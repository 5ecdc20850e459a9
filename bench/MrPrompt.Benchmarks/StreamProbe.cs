using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace MrPrompt.Benchmarks;

/// <summary>
/// Opens many streamed chat completions at once and measures, per stream, the time to the first
/// content chunk and the longest gap between chunks (a stall), as a client would feel them.
/// </summary>
public static class StreamProbe
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("Usage: streams <chat completions url> <model> <concurrent streams> [bearer key] [rounds]");
            return 2;
        }
        var (url, model, streams, key) = (args[0], args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), args.Length > 3 && args[3] != "-" ? args[3] : null);
        // Several rounds of N streams at once give a percentile with more than one sample behind it
        // when N is small (one stream at a time, fifty times over).
        var rounds = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 1;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
        // One warm-up stream: JIT, connection pools and caches are not what is measured.
        await OneAsync(http, url, model, key, "warm-up");
        var results = new List<Result>();
        for (var round = 0; round < rounds; round++)
        {
            results.AddRange(await Task.WhenAll(Enumerable.Range(0, streams).Select(i => OneAsync(http, url, model, key, $"stream {round}.{i}"))));
        }

        var failed = results.Count(r => r.Failed);
        var firstTokens = results.Where(r => !r.Failed).Select(r => r.FirstToken.TotalMilliseconds).Order().ToList();
        var stalls = results.Count(r => !r.Failed && r.LongestGap > TimeSpan.FromMilliseconds(200));
        Console.WriteLine($"streams={streams} rounds={rounds} failed={failed} stalled_over_200ms={stalls} " +
            $"ttft_p50_ms={Percentile(firstTokens, 0.50):0.0} ttft_p99_ms={Percentile(firstTokens, 0.99):0.0} " +
            $"longest_gap_ms={results.Where(r => !r.Failed).Select(r => r.LongestGap.TotalMilliseconds).DefaultIfEmpty(0).Max():0.0}");
        return failed == 0 ? 0 : 1;
    }

    private sealed record Result(bool Failed, TimeSpan FirstToken, TimeSpan LongestGap);

    private static async Task<Result> OneAsync(HttpClient http, string url, string model, string? key, string question)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent($$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"{{question}}"}]}""", Encoding.UTF8, "application/json"),
            };
            if (key is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            var clock = Stopwatch.StartNew();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
            {
                return new Result(true, default, default);
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            TimeSpan? first = null;
            var last = TimeSpan.Zero;
            var longest = TimeSpan.Zero;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.Contains("\"content\":\"", StringComparison.Ordinal) || line.Contains("\"content\":\"\"", StringComparison.Ordinal))
                {
                    continue;
                }
                var now = clock.Elapsed;
                if (first is null)
                {
                    first = now;
                }
                else if (now - last > longest)
                {
                    longest = now - last;
                }
                last = now;
            }
            return first is null ? new Result(true, default, default) : new Result(false, first.Value, longest);
        }
        catch (HttpRequestException)
        {
            return new Result(true, default, default);
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
