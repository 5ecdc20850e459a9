using Microsoft.Extensions.Logging;
using MrPrompt.Infrastructure.Persistence;
using Npgsql;

namespace MrPrompt.Infrastructure.Cluster;

/// <summary>
/// One connection held open for Postgres notifications on some channels (LISTEN), reopened a second after a failure,
/// for as long as the instance runs. After each (re)connection <c>connected</c> runs: whatever was sent while nobody
/// listened is lost, and the caller decides what to look at again.
/// </summary>
public static partial class NotificationListener
{
    public static async Task ListenAsync(
        DatabaseConnection database, IReadOnlyList<string> channels, Action<NpgsqlNotificationEventArgs> received, Action connected,
        TimeProvider clock, ILogger logger, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { KeepAlive = 30, Pooling = false }.ConnectionString;
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => received(e);
                await using (var listen = new NpgsqlCommand(string.Concat(channels.Select(channel => $"LISTEN {channel};")), connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                connected();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogListenFailed(logger, string.Join(", ", channels), ex.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection listening on {Channels} ({Reason}); reconnecting")]
    private static partial void LogListenFailed(ILogger logger, string channels, string reason);
}
