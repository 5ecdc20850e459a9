namespace MrPrompt.Infrastructure.Persistence.Embedded;

/// <summary>Where the private cluster lives and which server binaries run it.</summary>
public sealed record EmbeddedPostgresOptions(string DataDirectory, string? BinariesDirectory, string DatabaseName)
{
    /// <summary>Seconds pg_ctl waits for the server to accept connections.</summary>
    public int StartTimeoutSeconds { get; init; } = 60;
}
