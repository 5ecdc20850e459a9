using System.Diagnostics;

namespace MrPrompt.Tests.Support;

/// <summary>The app's real executable, started the way an operator starts it.</summary>
public static class AppProcess
{
    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MrPrompt.Web.dll"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        startInfo.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }
        return Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start the app.");
    }

    /// <summary>Runs the app to its exit (a command, or a start-up that must fail); a hang is killed and reported.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunToExitAsync(
        string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        using var process = Start(workingDirectory, environment, arguments);
        return await WaitForExitAsync(process, TimeSpan.FromSeconds(90));
    }

    /// <summary>Any started process's exit and output; one still running after <paramref name="timeout"/> is killed, with its tree, and reported.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> WaitForExitAsync(Process process, TimeSpan timeout)
    {
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} did not exit within {timeout}: it hangs.");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Asks for a graceful stop, as systemd or Ctrl+C would.</summary>
    public static void Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
