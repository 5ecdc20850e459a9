using Microsoft.EntityFrameworkCore;

namespace MrPrompt.Infrastructure.Persistence;

/// <summary>Writing an admin's run-time setting (<c>app_settings</c>), the one way every setting is saved.</summary>
internal static class AppSettingWrites
{
    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, recording when and by which admin; a concurrent write of the same key wins or loses whole.</summary>
    public static Task SaveSettingAsync(this AppDbContext db, string key, string value, DateTimeOffset at, Guid adminId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO app_settings (key, value, updated_at, updated_by) VALUES ({key}, {value}, {at}, {adminId})
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """, cancellationToken);
}
