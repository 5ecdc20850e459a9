using System.Globalization;
using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Profiles;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Prompts.Loaders;

/// <summary><c>datetime</c>: now, in the time zone of the caller's profile, as <c>{{now.date}}</c>, <c>{{now.time}}</c>, <c>{{now.weekday}}</c>, <c>{{now.iso}}</c> and <c>{{now.timeZone}}</c>.</summary>
public sealed class DateTimeLoader(IDbContextFactory<AppDbContext> contexts, TimeProvider clock) : IDataLoader
{
    public string Key => "datetime";
    public string Variable => "now";
    public string Description => "The current date and time in your time zone (Settings → Profile).";

    public async Task<IReadOnlyDictionary<string, object?>> LoadAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var zoneId = await db.Profiles.Where(p => p.Id == userId).Select(p => p.TimeZone).FirstOrDefaultAsync(cancellationToken);
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(zoneId ?? ProfileRules.DefaultTimeZone, out var found) ? found : TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone);
        var culture = CultureInfo.InvariantCulture;
        return new Dictionary<string, object?>
        {
            ["iso"] = local.ToString("yyyy-MM-dd'T'HH:mm:sszzz", culture),
            ["date"] = local.ToString("yyyy-MM-dd", culture),
            ["time"] = local.ToString("HH:mm", culture),
            ["weekday"] = local.ToString("dddd", culture),
            ["timeZone"] = zone.Id,
        };
    }
}
