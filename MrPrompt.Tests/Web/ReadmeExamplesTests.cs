using System.Diagnostics;
using System.Text.RegularExpressions;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// The README's shell examples, read from the file and run as a person would paste them, in order, in one
/// shell, against the app on its embedded default with only the offline providers: an edit that breaks
/// one fails here. The shell is set up so that copying needs no change:
/// <list type="bullet">
/// <item>a <c>dotnet run</c> that starts the app starts it in the background (on a free port, its data in a
/// scratch folder) and waits until it answers; the next one replaces it;</item>
/// <item><c>curl</c> reaches that port for <c>localhost:5080</c> and fails on an HTTP error, where plain curl
/// would print an error page and succeed;</item>
/// <item><c>bash .ci/test</c> is this suite itself: it is checked, not run again;</item>
/// <item>OpenAI, should an example name it, is a closed port on this machine: nothing leaves it.</item>
/// </list>
/// </summary>
public sealed partial class ReadmeExamplesTests
{
    /// <summary>The functions and clean-up the examples run among.</summary>
    private const string Shell = """
        set -euo pipefail
        cd "$REPO"
        export Database__DataDir="$SCRATCH/data" ConnectionStrings__Default=""
        # An example that names a real provider reaches no further than a closed port here.
        export Providers__openai__BaseUrl="http://127.0.0.1:9/v1"
        server=""
        stop_server() {
          if [ -n "$server" ]; then
            pkill -TERM -P "$server" || true
            wait "$server" || true
            server=""
          fi
        }
        finish() {
          stop_server
          rm -f usage.csv
          # The app stops its PostgreSQL when it stops; should it not have, nothing is left behind.
          if [ -f "$SCRATCH/data/pgdata/postmaster.pid" ]; then kill -INT "$(head -n 1 "$SCRATCH/data/pgdata/postmaster.pid")" || true; fi
        }
        trap finish EXIT
        dotnet() {
          if [ "${1:-}" = run ] && [[ " $* " != *" -- "* ]]; then
            stop_server
            command dotnet "$@" -- --urls "http://127.0.0.1:$PORT" >"$SCRATCH/app.log" 2>&1 &
            server=$!
            # The app listens only once its database is ready and migrated.
            if ! command curl -fs --retry 180 --retry-connrefused --retry-delay 1 --retry-max-time 240 -o /dev/null "http://127.0.0.1:$PORT/health/ready"; then
              echo "The app did not start:"; cat "$SCRATCH/app.log"; return 1
            fi
            echo "(the app answers on port $PORT)"
            return 0
          fi
          command dotnet "$@"
        }
        curl() {
          command curl --fail-with-body -sS "${@//localhost:5080/127.0.0.1:$PORT}"
          echo
        }
        bash() {
          if [ "$*" = ".ci/test" ]; then
            command bash -n .ci/test && grep -q '\.ci/test' .ci/run
            echo "(.ci/test is this suite: checked, not run again)"
            return 0
          fi
          command bash "$@"
        }
        """;

    [Fact]
    public async Task Every_shell_example_in_the_readme_runs_as_written()
    {
        var examples = ShellExamples(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "README.md"), TestContext.Current.CancellationToken));
        Assert.True(examples.Count >= 5, $"found {examples.Count} shell examples");
        Assert.Contains(examples, e => e.Contains("dotnet run --project MrPrompt.Web", StringComparison.Ordinal));
        Assert.Contains(examples, e => e.Contains("curl http://localhost:5080/v1/chat/completions", StringComparison.Ordinal));

        var scratch = TestDirectories.Create("readme");
        var script = Path.Combine(scratch, "readme.sh");
        await File.WriteAllTextAsync(script,
            Shell + "\n" + string.Concat(examples.Select((e, i) => $"\necho '### example {i + 1}'\n{e}\n")) + "\necho '### all examples ran'\n",
            TestContext.Current.CancellationToken);

        var (exitCode, output) = await RunAsync(script, scratch);
        TestDirectories.Delete(scratch);

        Assert.True(exitCode == 0, output);
        Assert.Contains("### all examples ran", output, StringComparison.Ordinal);
        Assert.Contains("\"content\":\"Hello\"", output, StringComparison.Ordinal); // /v1 on the demo model
        Assert.Contains("The user says: Hello", output, StringComparison.Ordinal); // the built-in prompt, by key
    }

    /// <summary>The body of every ```bash block, its indentation (inside a list item) removed.</summary>
    internal static List<string> ShellExamples(string readme) =>
        BashBlock().Matches(readme).Select(m =>
        {
            var indent = m.Groups["indent"].Value;
            return string.Join('\n', m.Groups["body"].Value.Split('\n').Select(line => line.StartsWith(indent, StringComparison.Ordinal) ? line[indent.Length..] : line));
        }).ToList();

    private static async Task<(int ExitCode, string Output)> RunAsync(string script, string scratch)
    {
        var start = new ProcessStartInfo("bash", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["REPO"] = RepositoryRoot.Path;
        start.Environment["SCRATCH"] = scratch;
        start.Environment["PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var (exitCode, output, errors) = await AppProcess.WaitForExitAsync(process, TimeSpan.FromMinutes(8));
        return (exitCode, output + errors);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("^(?<indent>[ \\t]*)```bash\\n(?<body>.*?)\\n[ \\t]*```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex BashBlock();
}
