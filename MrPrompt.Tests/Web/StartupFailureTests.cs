using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>
/// Runs the real executable with bad settings: the operator must get one clear line and a failed
/// exit code, never a stack trace or a process that hangs.
/// </summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly string _workDir = TestDirectories.Create("startup");

    private async Task<(int ExitCode, string Output)> RunAppAsync(Dictionary<string, string> environment)
    {
        var (exitCode, output, errors) = await AppProcess.RunToExitAsync(_workDir, environment);
        return (exitCode, output + errors);
    }

    [Fact]
    public async Task Unreachable_database_is_one_clear_line_and_a_failed_exit()
    {
        var (exitCode, output) = await RunAppAsync(new()
        {
            ["ConnectionStrings__Default"] = "Host=127.0.0.1;Port=1;Database=nowhere;Username=app;Password=secret-value;Timeout=3",
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("MrPrompt cannot start: Cannot reach the database 127.0.0.1:1/nowhere", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("secret-value", output);
    }

    [Fact]
    public async Task Missing_postgres_binaries_name_the_setting_and_exit()
    {
        var (exitCode, output) = await RunAppAsync(new()
        {
            ["ConnectionStrings__Default"] = "",
            ["Database__PostgresBinDir"] = Path.Combine(_workDir, "no-postgres-here"),
            ["Database__DataDir"] = Path.Combine(_workDir, "data"),
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("Database:PostgresBinDir", output);
        Assert.Contains("ConnectionStrings__Default", output);
        Assert.DoesNotContain("   at ", output);
    }

    public void Dispose() => TestDirectories.Delete(_workDir);
}
