using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using Npgsql;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>
/// Takes usage rows off the call path: <see cref="Record"/> only puts a row in a bounded buffer; a
/// background loop copies them to Postgres in batches, keeps retrying while the database is briefly
/// away, and drains the buffer on shutdown. Rows that do not fit the buffer are dropped and counted
/// (metric <c>mrprompt.usage.dropped</c>) rather than slowing a user's answer.
/// </summary>
public sealed partial class UsageLogWriter : IHostedService, IUsageSink
{
    public const string MeterName = "MrPrompt.Gateway";
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);
    private const int AttemptsDuringShutdown = 3;
    private static readonly TimeSpan ShutdownAttemptBudget = TimeSpan.FromSeconds(3);

    /// <summary>Rows of every account arrive here, so the writer works across accounts.</summary>
    private static readonly DataActor Writer = new(null, "usage log writer");

    private readonly Channel<UsageRecord> _buffer;
    private readonly IDbContextFactory<AppDbContext> _contexts;
    private readonly DatabaseConnection _connection;
    private readonly ILogger<UsageLogWriter> _logger;
    private readonly int _batchSize;
    private readonly Counter<long> _writtenCounter;
    private readonly Counter<long> _droppedCounter;
    // Never disposed on purpose: it holds no timer, and a stop can arrive after the container is disposed.
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private UsageTable? _table;
    private long _written;
    private long _dropped;

    public UsageLogWriter(
        IDbContextFactory<AppDbContext> contexts,
        DatabaseConnection connection,
        IOptions<UsageWriterOptions> options,
        IMeterFactory meters,
        ILogger<UsageLogWriter> logger)
    {
        _contexts = contexts;
        _connection = connection;
        _logger = logger;
        _batchSize = options.Value.BatchSize;
        _buffer = Channel.CreateBounded<UsageRecord>(new BoundedChannelOptions(options.Value.BufferCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var meter = meters.Create(MeterName);
        _writtenCounter = meter.CreateCounter<long>("mrprompt.usage.written", description: "Usage rows stored");
        _droppedCounter = meter.CreateCounter<long>("mrprompt.usage.dropped", description: "Usage rows lost because the buffer was full or the database stayed away at shutdown");
    }

    public long Written => Interlocked.Read(ref _written);
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Record(UsageRecord record)
    {
        if (!_buffer.Writer.TryWrite(record))
        {
            CountDropped(1);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Its own task, not BackgroundService: that one is skipped outright when stopping comes
        // before it got to run, and the buffer would never be drained.
        _loop = Task.Run(() => WriteLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Safe to call more than once: hosts and test factories may both stop the app.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // No new rows; the loop drains what is buffered, retrying only briefly, then ends.
        _buffer.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken);
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<UsageRecord>(_batchSize);
        // Not the stopping token: shutdown completes the channel, and what is in it must still be read.
        while (await _buffer.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < _batchSize && _buffer.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }
            try
            {
                await WriteWithRetryAsync(batch, stoppingToken);
            }
            catch (Exception ex)
            {
                // Whatever went wrong with this batch, the loop must live on for the next ones.
                LogBatchLost(_logger, batch.Count, ex.GetType().Name);
                CountDropped(batch.Count);
            }
            batch.Clear();
        }
    }

    private async Task WriteWithRetryAsync(List<UsageRecord> batch, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await CopyAsync(batch, stoppingToken);
                return;
            }
            catch (PostgresException ex) when (!IsTransient(ex))
            {
                // Not the database being away but a row it refuses: keep the good rows, drop the bad.
                LogRefused(_logger, batch.Count, ex.SqlState);
                await CopyOneByOneAsync(batch, stoppingToken);
                return;
            }
            catch (Exception ex) when (IsTransient(ex) || (ex is OperationCanceledException && stoppingToken.IsCancellationRequested))
            {
                if (stoppingToken.IsCancellationRequested && attempt >= AttemptsDuringShutdown)
                {
                    LogGaveUp(_logger, batch.Count, ex.Message);
                    CountDropped(batch.Count);
                    return;
                }
                LogRetrying(_logger, batch.Count, delay.TotalSeconds, ex.Message);
                await Task.Delay(delay, CancellationToken.None);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task CopyAsync(IReadOnlyList<UsageRecord> rows, CancellationToken stoppingToken = default)
    {
        // While running, a write may take as long as it needs; at shutdown each try gets a few seconds.
        using var budget = new CancellationTokenSource();
        if (stoppingToken.IsCancellationRequested)
        {
            budget.CancelAfter(ShutdownAttemptBudget);
        }
        await using var connection = new NpgsqlConnection(_connection.ConnectionString);
        await connection.OpenAsync(budget.Token);
        await RowSecurityInterceptor.ApplyAsync(connection, Writer, budget.Token);
        _table ??= await CreateTableAsync();
        await _table.WriteAsync(connection, rows, budget.Token);
        Interlocked.Add(ref _written, rows.Count);
        _writtenCounter.Add(rows.Count);
    }

    private async Task CopyOneByOneAsync(List<UsageRecord> batch, CancellationToken stoppingToken)
    {
        foreach (var row in batch)
        {
            try
            {
                await CopyAsync([row], stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException || IsTransient(ex))
            {
                CountDropped(1);
            }
        }
    }

    private static bool IsTransient(Exception ex) =>
        ex is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException or TimeoutException or IOException
        // A database that is restarting refuses connections before it is fully up.
        || ex is PostgresException { SqlState: "57P03" or "3D000" or "57P01" };

    private async Task<UsageTable> CreateTableAsync()
    {
        await using var db = await _contexts.CreateDbContextAsync();
        return new UsageTable(db.Model);
    }

    private void CountDropped(int count)
    {
        Interlocked.Add(ref _dropped, count);
        _droppedCounter.Add(count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store {Count} usage rows ({Reason}); retrying in {DelaySeconds} s")]
    private static partial void LogRetrying(ILogger logger, int count, double delaySeconds, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database refused a batch of {Count} usage rows (SQL state {SqlState}); storing them one by one")]
    private static partial void LogRefused(ILogger logger, int count, string sqlState);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lost a batch of {Count} usage rows to an unexpected {Reason}")]
    private static partial void LogBatchLost(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutting down with {Count} usage rows unstored ({Reason}); they are lost")]
    private static partial void LogGaveUp(ILogger logger, int count, string reason);
}
