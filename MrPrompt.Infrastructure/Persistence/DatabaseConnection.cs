namespace MrPrompt.Infrastructure.Persistence;

/// <summary>
/// The connection string every DbContext uses. Configured, it is known at once; embedded, it is known
/// only after the private server has started, which happens before the first query.
/// </summary>
public sealed class DatabaseConnection(string? configuredConnectionString)
{
    private string? _connectionString = string.IsNullOrWhiteSpace(configuredConnectionString) ? null : configuredConnectionString;

    public bool IsEmbedded { get; } = string.IsNullOrWhiteSpace(configuredConnectionString);

    public string ConnectionString => _connectionString
        ?? throw new InvalidOperationException("The embedded database has not been started yet.");

    internal void UseEmbedded(string connectionString) => _connectionString = connectionString;
}
