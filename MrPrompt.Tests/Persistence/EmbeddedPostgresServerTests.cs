using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Tests.Support;
using Npgsql;

namespace MrPrompt.Tests.Persistence;

/// <summary>The launcher's life cycle on clusters of its own (not the shared test server).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class EmbeddedPostgresServerTests : IAsyncDisposable
{
    private readonly string _dataDir = TestDirectories.Create("cluster");
    private readonly List<EmbeddedPostgresServer> _servers = [];

    private EmbeddedPostgresServer NewServer()
    {
        var server = new EmbeddedPostgresServer(new EmbeddedPostgresOptions(_dataDir, null, "app"), NullLogger<EmbeddedPostgresServer>.Instance);
        _servers.Add(server);
        return server;
    }

    private static async Task<object?> ScalarAsync(EmbeddedPostgresServer server, string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }

    private string LockFile => Path.Combine(_dataDir, "pgdata", "postmaster.pid");

    [Fact]
    public async Task Restart_keeps_the_data_and_the_port()
    {
        var first = NewServer();
        await first.StartAsync(TestContext.Current.CancellationToken);
        await ScalarAsync(first, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here');");
        var port = first.Port;
        await first.StopAsync(TestContext.Current.CancellationToken);
        Assert.False(File.Exists(LockFile));

        var second = NewServer();
        await second.StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal("still here", await ScalarAsync(second, "SELECT v FROM kept"));
        Assert.Equal(port, second.Port);
    }

    [Fact]
    public async Task Lock_file_naming_a_live_unrelated_process_is_treated_as_stale()
    {
        var first = NewServer();
        await first.StartAsync(TestContext.Current.CancellationToken);
        await first.StopAsync(TestContext.Current.CancellationToken);
        // What a crash leaves when the server's process id was later reused: here, by this test process.
        await File.WriteAllLinesAsync(LockFile,
            [Environment.ProcessId.ToString(), Path.Combine(_dataDir, "pgdata"), "0", "5999", "", "127.0.0.1", "0 0", "ready"],
            TestContext.Current.CancellationToken);

        var second = NewServer();
        await second.StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, await ScalarAsync(second, "SELECT 1"));
    }

    [Fact]
    public async Task A_second_process_on_a_running_server_leaves_it_running_for_the_first()
    {
        var app = NewServer();
        await app.StartAsync(TestContext.Current.CancellationToken);
        await using var appConnection = new NpgsqlConnection(app.ConnectionString());
        await appConnection.OpenAsync(TestContext.Current.CancellationToken);

        // An operator command beside the running app: it finds the server, uses it and exits.
        var command = NewServer();
        await command.StartAsync(TestContext.Current.CancellationToken);
        await command.StopAsync(TestContext.Current.CancellationToken);

        await using var stillServing = new NpgsqlCommand("SELECT 1", appConnection);
        Assert.Equal(1, await stillServing.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        Assert.True(File.Exists(LockFile));
    }

    [Fact]
    public async Task Server_left_running_by_a_killed_run_is_reused_and_then_stopped()
    {
        var crashed = NewServer();
        await crashed.StartAsync(TestContext.Current.CancellationToken);
        var port = crashed.Port;
        _servers.Remove(crashed); // never stopped: the process that owned it "died"

        var next = NewServer();
        await next.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(port, next.Port);
        Assert.Equal(1, await ScalarAsync(next, "SELECT 1"));

        await next.StopAsync(TestContext.Current.CancellationToken);
        Assert.False(File.Exists(LockFile));
    }

    [Fact]
    public async Task The_superuser_password_stays_out_of_the_cluster_folder_and_is_private()
    {
        var server = NewServer();
        await server.StartAsync(TestContext.Current.CancellationToken);

        var passwordFile = Path.Combine(_dataDir, "pgpass");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
        Assert.False(File.Exists(Path.Combine(_dataDir, "initdb-password")));
        await using var wrong = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString()) { Password = "guess" }.ConnectionString);
        await Assert.ThrowsAsync<PostgresException>(() => wrong.OpenAsync(TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
        TestDirectories.Delete(_dataDir);
    }
}
