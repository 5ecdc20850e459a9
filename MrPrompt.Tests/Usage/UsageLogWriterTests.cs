using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Usage;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Usage;

public sealed class UsageLogWriterTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A running writer on its own services, and a user its rows can belong to.</summary>
    private async Task<(ServiceProvider Services, UsageLogWriter Writer, Guid UserId)> StartWriterAsync()
    {
        var services = TestDatabase.BuildServices(database.ConnectionString, TimeProvider.System);
        var userId = await TestUsers.RegisterAsync(services);
        var writer = services.GetRequiredService<UsageLogWriter>();
        await writer.StartAsync(Ct);
        return (services, writer, userId);
    }

    private static UsageRecord Row(Guid userId, string trace, int i) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = userId,
        Provider = "openai",
        Model = "gpt-4o-mini",
        Source = UsageSource.Api,
        Status = i % 10 == 0 ? UsageStatus.Error : UsageStatus.Success,
        ErrorCode = i % 10 == 0 ? "rate_limited" : null,
        InputTokens = i,
        OutputTokens = 2 * i,
        CostUsd = 0.0000001m * i,
        LatencyMs = i % 1000,
        TraceId = trace,
        ExecutedAt = DateTimeOffset.UtcNow,
    };

    private static async Task<int> CountAsync(IServiceProvider services, string trace)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        return await db.UsageRecords.CountAsync(u => u.TraceId == trace, Ct);
    }

    [Fact]
    public async Task Ten_thousand_rows_from_concurrent_callers_all_land()
    {
        var (services, writer, userId) = await StartWriterAsync();
        using var _ = services;
        var trace = Guid.NewGuid().ToString("N");

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 1250; i++)
            {
                writer.Record(Row(userId, trace, (worker * 1250) + i));
            }
        }, Ct)));
        await writer.StopAsync(Ct);

        Assert.Equal(10_000, await CountAsync(services, trace));
        Assert.Equal(0, writer.Dropped);
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        var sample = await db.UsageRecords.AsNoTracking().FirstAsync(u => u.TraceId == trace && u.InputTokens == 30, Ct);
        Assert.Equal((60, UsageStatus.Error, "rate_limited", 0.000003m), (sample.OutputTokens, sample.Status, sample.ErrorCode, sample.CostUsd));
    }

    [Fact]
    public async Task Shutdown_writes_what_is_still_buffered()
    {
        var (services, writer, userId) = await StartWriterAsync();
        using var _ = services;
        var trace = Guid.NewGuid().ToString("N");

        for (var i = 0; i < 3_000; i++)
        {
            writer.Record(Row(userId, trace, i));
        }
        await writer.StopAsync(Ct);

        Assert.Equal(3_000, await CountAsync(services, trace));
    }

    [Fact]
    public async Task A_full_buffer_drops_and_counts_instead_of_blocking_the_caller()
    {
        using var services = TestDatabase.BuildServices(database.ConnectionString, TimeProvider.System,
            new Dictionary<string, string?> { ["Usage:BufferCapacity"] = "100" });
        var writer = services.GetRequiredService<UsageLogWriter>(); // not started: nothing drains the buffer

        for (var i = 0; i < 150; i++)
        {
            writer.Record(Row(Guid.NewGuid(), "full", i));
        }

        Assert.Equal(50, writer.Dropped);
    }

    [Fact]
    public async Task Rows_the_database_refuses_are_dropped_alone_and_the_rest_land()
    {
        var (services, writer, userId) = await StartWriterAsync();
        using var _ = services;
        var trace = Guid.NewGuid().ToString("N");

        writer.Record(Row(userId, trace, 1));
        writer.Record(Row(Guid.NewGuid(), trace, 2)); // no such user: the foreign key refuses it
        writer.Record(Row(userId, trace, 3));
        await writer.StopAsync(Ct);

        Assert.Equal(2, await CountAsync(services, trace));
        Assert.Equal(1, writer.Dropped);
    }
}

/// <summary>The writer on a database server of its own, which the test stops and starts again.</summary>
public sealed class UsageLogWriterOutageTests : IAsyncDisposable
{
    private readonly string _dataDir = TestDirectories.Create("outage");
    private readonly EmbeddedPostgresServer _server;

    public UsageLogWriterOutageTests() =>
        _server = new EmbeddedPostgresServer(new EmbeddedPostgresOptions(_dataDir, null, "usage"), NullLogger<EmbeddedPostgresServer>.Instance);

    [Fact]
    public async Task Rows_recorded_while_the_database_is_away_land_when_it_returns()
    {
        var ct = TestContext.Current.CancellationToken;
        await _server.StartAsync(ct);
        var logs = new CapturingLoggerProvider();
        using var services = TestDatabase.BuildServices(_server.ConnectionString(), TimeProvider.System,
            configure: services => services.AddLogging(logging => logging.AddProvider(logs)));
        await services.GetRequiredService<DatabaseStartup>().RunAsync(ct);
        var userId = await TestUsers.RegisterAsync(services);
        var writer = services.GetRequiredService<UsageLogWriter>();
        await writer.StartAsync(ct);

        await _server.StopAsync(ct);
        for (var i = 0; i < 100; i++)
        {
            writer.Record(new UsageRecord
            {
                Id = Guid.CreateVersion7(), UserId = userId, Provider = "echo", Model = "echo",
                Status = UsageStatus.Success, TraceId = "outage", ExecutedAt = DateTimeOffset.UtcNow,
            });
        }
        await logs.WaitForAsync("Could not store", ct); // the writer met the outage and is retrying
        await _server.StartAsync(ct);
        await writer.StopAsync(ct);

        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct);
        Assert.Equal(100, await db.UsageRecords.CountAsync(u => u.TraceId == "outage", ct));
        Assert.Equal(0, writer.Dropped);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        TestDirectories.Delete(_dataDir);
    }
}
