using System.Diagnostics;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>The real executable with no connection string, started and stopped twice.</summary>
public sealed class EmbeddedAppLifecycleTests : IDisposable
{
    private readonly string _workDir = TestDirectories.Create("app");

    private string DataDir => Path.Combine(_workDir, "data");

    private async Task<string> RunUntilServingThenStopAsync()
    {
        using var process = AppProcess.Start(_workDir, new Dictionary<string, string>
        {
            ["ConnectionStrings__Default"] = "",
            ["Database__DataDir"] = DataDir,
        });
        var output = new System.Text.StringBuilder();
        var serving = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
            if (e.Data?.Contains("Application started", StringComparison.Ordinal) == true)
            {
                serving.TrySetResult();
            }
        };
        process.BeginOutputReadLine();
        try
        {
            await serving.Task.WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
            AppProcess.Terminate(process);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        lock (output)
        {
            return output.ToString();
        }
    }

    [Fact]
    public async Task App_starts_its_own_postgres_says_how_to_reach_it_and_stops_it_on_exit()
    {
        var first = await RunUntilServingThenStopAsync();

        Assert.Contains($"Embedded PostgreSQL: data in {DataDir}", first);
        Assert.Contains("psql -h 127.0.0.1 -p ", first);
        Assert.False(File.Exists(Path.Combine(DataDir, "pgdata", "postmaster.pid")), "the app left its PostgreSQL running");

        var second = await RunUntilServingThenStopAsync();
        Assert.Contains($"Embedded PostgreSQL: data in {DataDir}", second);
        Assert.DoesNotContain("fail:", second);
    }

    public void Dispose() => TestDirectories.Delete(_workDir);
}
