using Microsoft.Extensions.Logging;

namespace MrPrompt.Infrastructure;

/// <summary>
/// Work started without waiting for it (touching a key's last use, counting a background call's cost)
/// still has its failure said: a discarded task's exception otherwise vanishes with it.
/// </summary>
public static partial class ObservedTasks
{
    public static void Observe(this Task task, ILogger logger, string work) =>
        task.ContinueWith(
            finished => LogFailed(logger, work, finished.Exception!.GetBaseException().GetType().Name, finished.Exception.GetBaseException().Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work not waited for failed: {Work}: {Reason}: {Detail}")]
    private static partial void LogFailed(ILogger logger, string work, string reason, string detail);
}
