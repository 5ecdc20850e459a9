using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Tests.Support;

/// <summary>Usage rows are written in batches in the background; tests wait for the ones they expect.</summary>
public static class UsageRows
{
    public static async Task<List<UsageRecord>> WaitForAsync(IServiceProvider services, string traceId, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
            var rows = await db.UsageRecords.AsNoTracking().Where(u => u.TraceId == traceId).OrderBy(u => u.ExecutedAt).ThenBy(u => u.Attempt).ToListAsync();
            if (rows.Count >= expected || DateTime.UtcNow > deadline)
            {
                return rows;
            }
            await Task.Delay(50);
        }
    }
}
