using Microsoft.Extensions.Logging;

namespace MrPrompt.Infrastructure.Gateway;

/// <summary>
/// The loggers Microsoft.Extensions.AI's telemetry layer writes with, minus one kind of entry: it logs
/// every exception out of a call as a warning with its stack trace, and a call stopped on purpose
/// (Stop, a closed tab, a client gone) ends in an OperationCanceledException. An HTTP timeout (a
/// TimeoutException inside) still comes through; so does every other failure. A retry giving up on a
/// slow first token is a cancellation too, and is left out here because the gateway logs it itself,
/// in one line, as a failed call with its timeout code.
/// </summary>
internal sealed class StoppedCallsAreNotWarnings(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The factory is the host's; this wrapper owns nothing.
    public void Dispose()
    {
    }

    private sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is OperationCanceledException { InnerException: not TimeoutException })
            {
                return;
            }
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
