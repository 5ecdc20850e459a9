using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Tests.Support;

/// <summary>Usage rows are written in batches in the background; tests wait for the ones they expect.</summary>
public static class UsageRows
{
    public static Task<List<UsageRecord>> WaitForAsync(IServiceProvider services, string traceId, int expected) =>
        WaitForAsync(services, u => u.TraceId == traceId, expected);

    /// <summary>The rows of one queued job's runs.</summary>
    public static Task<List<UsageRecord>> WaitForJobAsync(IServiceProvider services, Guid jobId, int expected) =>
        WaitForAsync(services, u => u.JobId == jobId, expected);

    /// <summary>The rows of one account's calls.</summary>
    public static Task<List<UsageRecord>> WaitForUserAsync(IServiceProvider services, Guid userId, int expected) =>
        WaitForAsync(services, u => u.UserId == userId, expected);

    private static async Task<List<UsageRecord>> WaitForAsync(IServiceProvider services, Expression<Func<UsageRecord, bool>> which, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
            var rows = await db.UsageRecords.AsNoTracking().Where(which).OrderBy(u => u.ExecutedAt).ThenBy(u => u.Attempt).ToListAsync();
            if (rows.Count >= expected || DateTime.UtcNow > deadline)
            {
                return rows;
            }
            await Task.Delay(50);
        }
    }
}
