namespace MrPrompt.Infrastructure.Cluster;

/// <summary>
/// This instance's name among those sharing the database: on the leases it holds, in its logs and traces, and on the admin
/// Providers and Jobs pages. <c>Instance__Name</c> (say the host's name in the fleet) or host and process, then a random tail,
/// so a restarted process (same name, perhaps the same process id) never mistakes the leases of its dead predecessor for its own.
/// </summary>
public sealed class InstanceIdentity(string? configuredName = null)
{
    public const string NameSetting = "Instance:Name";

    /// <remarks>Whitespace becomes '-': the name travels in space-separated notifications (<see cref="ClusterChanges"/>).</remarks>
    public string Name { get; } = string.Join('-',
        $"{(string.IsNullOrWhiteSpace(configuredName) ? $"{Environment.MachineName}/{Environment.ProcessId}" : configuredName.Trim())}/{Guid.NewGuid().ToString("N")[..8]}"
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
