using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MrPrompt.Tests.Support;

/// <summary>Keeps every log entry (message, structured values, exception) at every level, for secrecy checks.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    private readonly ConditionSignal _logged = new();

    /// <summary>Completes once an entry containing <paramref name="text"/> is logged: a signal to wait on, not a pause.</summary>
    public Task WaitForAsync(string text, CancellationToken cancellationToken) =>
        _logged.WaitUntilAsync(() => _entries.Any(e => e.Contains(text, StringComparison.Ordinal)), cancellationToken);

    private void Add(string entry)
    {
        _entries.Enqueue(entry);
        _logged.Pulse();
    }

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            owner.Add($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            owner.Add($"{logLevel} {category}: {formatter(state, exception)} | {values} | {exception}");
        }
    }
}
