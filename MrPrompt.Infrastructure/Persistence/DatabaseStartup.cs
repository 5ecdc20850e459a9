using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence.Embedded;
using Npgsql;

namespace MrPrompt.Infrastructure.Persistence;

/// <summary>
/// Everything the database needs before the app serves: the embedded server when no connection
/// string is set, a reachable database, the migrations, the roles and the scripted admin.
/// Failures surface as <see cref="StartupException"/> with a message for the operator.
/// </summary>
public sealed partial class DatabaseStartup(
    IServiceProvider services,
    DatabaseConnection connection,
    IOptions<DatabaseOptions> options,
    ILogger<DatabaseStartup> logger)
{
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            if (connection.IsEmbedded)
            {
                var server = services.GetRequiredService<EmbeddedPostgresServer>();
                await server.StartAsync(cancellationToken);
                connection.UseEmbedded(server.ConnectionString());
            }

            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await EnsureReachableAsync(cancellationToken);
            if (options.Value.MigrateOnStartup)
            {
                await MigrateAsync(db, cancellationToken);
            }
            await scope.ServiceProvider.GetRequiredService<AdminAccountSeeder>().SeedAsync(cancellationToken);
        }
        catch (OptionsValidationException ex)
        {
            throw new StartupException($"Invalid configuration: {string.Join(" ", ex.Failures)}", ex);
        }
    }

    /// <summary>Applies pending migrations now, whatever <c>Database:MigrateOnStartup</c> says (the <c>migrate</c> command).</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        await MigrateAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), cancellationToken);
    }

    private static async Task MigrateAsync(AppDbContext db, CancellationToken cancellationToken)
    {
        // Npgsql's migrator queries the history table before creating it and logs the expected
        // "relation does not exist" as an error on every fresh database (npgsql/efcore.pg#3407);
        // creating it first keeps a clean first start free of a false alarm.
        var createHistoryTable = db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
        await db.Database.ExecuteSqlRawAsync(createHistoryTable, cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }

    private async Task EnsureReachableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var probe = new NpgsqlConnection(connection.ConnectionString);
            await probe.OpenAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or ArgumentException)
        {
            var target = Describe(connection.ConnectionString);
            throw new StartupException(
                $"Cannot reach the database {target}: {ex.Message} Check ConnectionStrings__Default, or leave it empty to use the embedded PostgreSQL.", ex);
        }
        LogReachable(logger, Describe(connection.ConnectionString));
    }

    /// <summary>Host, port and database: enough to recognise the target, never the password.</summary>
    private static string Describe(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{builder.Host}:{builder.Port}/{builder.Database}";
        }
        catch (ArgumentException)
        {
            return "(unreadable connection string)";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Target} is reachable")]
    private static partial void LogReachable(ILogger logger, string target);
}
