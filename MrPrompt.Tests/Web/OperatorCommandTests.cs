using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>The operator commands run by the real executable against a real database, as an install script would.</summary>
public sealed class OperatorCommandTests(PostgresServer server) : IDisposable
{
    private readonly string _workDir = TestDirectories.Create("commands");

    private Task<(int ExitCode, string Output, string Errors)> RunAsync(string connectionString, params string[] arguments) =>
        AppProcess.RunToExitAsync(_workDir, new Dictionary<string, string> { ["ConnectionStrings__Default"] = connectionString }, arguments);

    /// <summary>A line of a stack trace ("   at Namespace.Type.Method(…)"), which an operator should never have to read.</summary>
    private const string StackFrame = @"(?m)^\s+at [\w.`<>\[\]]+\(";

    [Fact]
    public async Task Migrate_create_user_and_create_api_key_script_an_install()
    {
        var database = await server.CreateDatabaseAsync("commands");

        var migrate = await RunAsync(database, "migrate");
        var user = await RunAsync(database, "create-user", "--email", "bot-owner@example.com", "--password", "Passw0rd!", "--role", "author");
        var key = await RunAsync(database, "create-api-key", "--email", "bot-owner@example.com", "--name", "deploy bot");
        var budget = await RunAsync(database, "set-budget", "--email", "bot-owner@example.com", "--usd", "12.5");

        Assert.Equal(0, migrate.ExitCode);
        Assert.Contains("up to date", migrate.Output, StringComparison.Ordinal);
        Assert.Equal(0, user.ExitCode);
        Assert.Contains("with the role Author", user.Output, StringComparison.Ordinal);
        Assert.Equal(0, key.ExitCode);
        // Standard output holds the key and nothing else (the log goes to standard error), so $(…) captures it.
        var secret = key.Output.TrimEnd('\n');
        Assert.Matches("^mrp_[A-Za-z0-9_-]+$", secret);

        await using var services = TestDatabase.BuildServices(database, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var caller = await services.GetRequiredService<ApiKeyService>().AuthenticateAsync(secret, TestContext.Current.CancellationToken);
        Assert.Equal(("bot-owner@example.com", "Author"), (caller!.Email, caller.Role));
        Assert.Equal(0, budget.ExitCode);
        Assert.Contains("may now spend $12.50 a month", budget.Output, StringComparison.Ordinal);
        var allowance = await services.GetRequiredService<CallerAllowances>().ForAsync(caller.UserId, TestContext.Current.CancellationToken);
        Assert.Equal(12.5m, allowance.MonthlyBudgetUsd);
    }

    [Fact]
    public async Task Mistakes_are_one_line_and_exit_code_2()
    {
        var database = await server.CreateDatabaseAsync("command-mistakes");

        var badRole = await RunAsync(database, "create-user", "--email", "x@example.com", "--password", "Passw0rd!", "--role", "root");
        var noUser = await RunAsync(database, "create-api-key", "--email", "nobody@example.com", "--name", "n");
        var missing = await RunAsync(database, "create-user", "--email", "x@example.com");
        var badAmount = await RunAsync(database, "set-budget", "--email", "x@example.com", "--usd", "lots");

        Assert.Equal((2, 2, 2, 2), (badRole.ExitCode, noUser.ExitCode, missing.ExitCode, badAmount.ExitCode));
        Assert.Contains("--usd must be an amount", badAmount.Errors, StringComparison.Ordinal);
        Assert.Contains("Unknown role 'root'", badRole.Errors, StringComparison.Ordinal);
        Assert.Contains("no account with the email nobody@example.com", noUser.Errors, StringComparison.Ordinal);
        Assert.Contains("--password", missing.Errors, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame, badRole.Errors + noUser.Errors + missing.Errors);
    }

    [Fact]
    public async Task A_setting_out_of_range_stops_the_app_with_one_line_naming_it()
    {
        var database = await server.CreateDatabaseAsync("command-settings");

        var run = await AppProcess.RunToExitAsync(_workDir,
            new Dictionary<string, string> { ["ConnectionStrings__Default"] = database, ["CHAT_RATE_LIMIT_PER_MIN"] = "0" }, "migrate");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("RequestsPerMinute", run.Output + run.Errors, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame, run.Output + run.Errors);
    }

    public void Dispose() => TestDirectories.Delete(_workDir);
}
