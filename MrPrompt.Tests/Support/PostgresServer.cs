using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

[assembly: AssemblyFixture(typeof(MrPrompt.Tests.Support.PostgresServer))]

namespace MrPrompt.Tests.Support;

/// <summary>
/// One real PostgreSQL for the whole test run, started by the same launcher the app uses.
/// Test classes isolate themselves by creating a database each.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private EmbeddedPostgresServer? _server;

    public string DataDirectory { get; } = TestDirectories.Create("server");

    public async ValueTask InitializeAsync()
    {
        // Test code arranges and checks rows through the app's services outside any request, across accounts,
        // as an operator would; the app's requests and pages still run as their signed-in account.
        DataScope.WhenUnscoped = new DataActor(null, "test code outside any request");
        _server = new EmbeddedPostgresServer(
            new EmbeddedPostgresOptions(DataDirectory, null, "postgres"),
            NullLogger<EmbeddedPostgresServer>.Instance);
        await _server.StartAsync();
    }

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string purpose)
    {
        var label = purpose.ToLowerInvariant();
        var name = $"t_{label[..Math.Min(label.Length, 24)]}_{Guid.NewGuid():N}";
        await _server!.EnsureDatabaseAsync(name);
        // Each database has its own pool, which outlives its test class: idle connections go after seconds,
        // not Npgsql's five minutes, or a full run holds more than the server's max_connections.
        return new Npgsql.NpgsqlConnectionStringBuilder(_server.ConnectionString(name))
        {
            ConnectionIdleLifetime = 10,
            ConnectionPruningInterval = 2,
        }.ConnectionString;
    }

    /// <summary>
    /// The same database as the app's own role (<see cref="EmbeddedPostgresServer.AppRole"/>): no superuser,
    /// so row-level security holds, as it does for the app in production.
    /// </summary>
    public string AsAppRole(string connectionString)
    {
        var app = new Npgsql.NpgsqlConnectionStringBuilder(_server!.AppConnectionString());
        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Username = app.Username, Password = app.Password }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        TestDirectories.Delete(DataDirectory);
    }
}
