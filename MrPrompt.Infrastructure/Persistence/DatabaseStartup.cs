using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
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
                connection.UseEmbedded(server.AppConnectionString(), server.ConnectionString());
            }

            await EnsureReachableAsync(cancellationToken);
            if (options.Value.MigrateOnStartup)
            {
                await MigrateAsync(cancellationToken);
            }
            await WarnIfRowSecurityIsBypassedAsync(cancellationToken);
            await using var scope = services.CreateAsyncScope();
            using (DataScope.AsSystem("startup: the scripted admin account"))
            {
                await scope.ServiceProvider.GetRequiredService<AdminAccountSeeder>().SeedAsync(cancellationToken);
            }
        }
        catch (OptionsValidationException ex)
        {
            throw new StartupException($"Invalid configuration: {string.Join(" ", ex.Failures)}", ex);
        }
    }

    /// <summary>
    /// Applies pending migrations now, whatever <c>Database:MigrateOnStartup</c> says (the <c>migrate</c>
    /// command), as the schema's owner; then lets the app's role use what they made.
    /// </summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Database.SetConnectionString(connection.MigrationConnectionString);
        // Npgsql's migrator queries the history table before creating it and logs the expected
        // "relation does not exist" as an error on every fresh database (npgsql/efcore.pg#3407);
        // creating it first keeps a clean first start free of a false alarm.
        var createHistoryTable = db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
        await db.Database.ExecuteSqlRawAsync(createHistoryTable, cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        var appRole = new NpgsqlConnectionStringBuilder(connection.ConnectionString).Username;
        if (!string.IsNullOrEmpty(appRole) && appRole != new NpgsqlConnectionStringBuilder(connection.MigrationConnectionString).Username)
        {
            // Identifiers cannot be parameters; doubled quotes make any role name safe.
            var role = $"\"{appRole.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            var grants = $"GRANT USAGE ON SCHEMA public TO {role}; " +
                $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; " +
                $"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role};";
            await db.Database.ExecuteSqlRawAsync(grants, cancellationToken);
        }
    }

    /// <summary>
    /// A superuser or a role with BYPASSRLS sees every row whatever the policies say, and a role that owns the
    /// tables may switch them off: said once at start.
    /// </summary>
    private async Task WarnIfRowSecurityIsBypassedAsync(CancellationToken cancellationToken)
    {
        await using var probe = new NpgsqlConnection(connection.ConnectionString);
        await probe.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT rolsuper OR rolbypassrls OR EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user)
            FROM pg_roles WHERE rolname = current_user
            """, probe);
        if (await command.ExecuteScalarAsync(cancellationToken) is true)
        {
            LogRowSecurityBypassed(logger, probe.UserName ?? "");
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "The app connects to the database as {Role}, a superuser, a role with BYPASSRLS or the tables' owner: row-level security does not hold for it. Connect as a role that owns nothing (README, Security) and migrate with ConnectionStrings__Migrations.")]
    private static partial void LogRowSecurityBypassed(ILogger logger, string role);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Target} is reachable")]
    private static partial void LogReachable(ILogger logger, string target);
}
