using MrPrompt.Infrastructure;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MrPrompt.Infrastructure.Persistence.Embedded;

/// <summary>
/// Runs the Postgres tools. PostgreSQL refuses to run as root, so when this process is root every
/// command goes through <c>runuser -u postgres --</c> and the files it needs are handed to that account.
/// </summary>
internal sealed class CommandRunner
{
    public const string ServiceAccount = "postgres";

    public bool RunsAsServiceAccount { get; } = OperatingSystem.IsLinux() && NativeMethods.geteuid() == 0;

    public async Task<CommandResult> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (RunsAsServiceAccount)
        {
            startInfo.FileName = "runuser";
            foreach (var argument in new[] { "-u", ServiceAccount, "--", fileName })
            {
                startInfo.ArgumentList.Add(argument);
            }
        }
        else
        {
            startInfo.FileName = fileName;
        }
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        // Postgres tools print in the server's language otherwise; logs and error matching want English.
        startInfo.Environment["LC_MESSAGES"] = "C";

        using var process = Process.Start(startInfo)
            ?? throw new StartupException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Gives a directory tree to the service account when commands run as that account.</summary>
    public async Task HandOverAsync(string path, CancellationToken cancellationToken)
    {
        if (!RunsAsServiceAccount)
        {
            return;
        }
        var chown = new ProcessStartInfo("chown") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in new[] { "-R", $"{ServiceAccount}:{ServiceAccount}", path })
        {
            chown.ArgumentList.Add(argument);
        }
        using var process = Process.Start(chown)!;
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new StartupException(
                $"Running as root, the data directory must belong to the '{ServiceAccount}' account, but chown failed: {error.Trim()}");
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        public static extern uint geteuid();
    }
}

internal sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
    public string Output => (StandardOutput + Environment.NewLine + StandardError).Trim();
}
