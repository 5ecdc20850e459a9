using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MrPrompt.Tests.Support;

/// <summary>Keeps every log entry (message, structured values, exception) at every level, for secrecy checks.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once an entry containing <paramref name="text"/> is logged: a signal to wait on, not a pause.</summary>
    public async Task WaitForAsync(string text, CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = Volatile.Read(ref _logged);
            if (_entries.Any(e => e.Contains(text, StringComparison.Ordinal)))
            {
                return;
            }
            await next.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
    }

    private void Add(string entry)
    {
        _entries.Enqueue(entry);
        Interlocked.Exchange(ref _logged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
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
