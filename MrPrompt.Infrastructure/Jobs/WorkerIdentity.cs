namespace MrPrompt.Infrastructure.Jobs;

/// <summary>
/// This instance's name on the leases it holds: host, process and a random tail, so a restarted process (same host,
/// perhaps the same process id) never mistakes the leases of its dead predecessor for its own.
/// </summary>
public sealed class WorkerIdentity
{
    public string Name { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
