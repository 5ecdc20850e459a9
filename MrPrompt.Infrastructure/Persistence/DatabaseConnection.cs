namespace MrPrompt.Infrastructure.Persistence;

/// <summary>
/// The connection strings: the app's (<c>ConnectionStrings:Default</c>, a role that owns nothing, so
/// row-level security holds) and the one migrations run with (<c>ConnectionStrings:Migrations</c>, the
/// schema's owner; the app's when unset). Configured, they are known at once; embedded, only after the
/// private server has started, which happens before the first query.
/// </summary>
public sealed class DatabaseConnection(string? configuredConnectionString, string? configuredMigrationConnectionString = null)
{
    private string? _connectionString = string.IsNullOrWhiteSpace(configuredConnectionString) ? null : configuredConnectionString;
    private string? _migrationConnectionString = string.IsNullOrWhiteSpace(configuredMigrationConnectionString) ? null : configuredMigrationConnectionString;

    public bool IsEmbedded { get; } = string.IsNullOrWhiteSpace(configuredConnectionString);

    public string ConnectionString => _connectionString
        ?? throw new InvalidOperationException("The embedded database has not been started yet.");

    public string MigrationConnectionString => _migrationConnectionString ?? ConnectionString;

    internal void UseEmbedded(string connectionString, string migrationConnectionString)
    {
        _connectionString = connectionString;
        _migrationConnectionString = migrationConnectionString;
    }
}
