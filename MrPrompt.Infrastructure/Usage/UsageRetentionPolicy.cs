using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Settings;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>How long usage rows are kept: what an admin set, else <c>Usage:RetentionDays</c>.</summary>
public sealed record RetentionSetting(int Days, bool SetByAdmin, DateTimeOffset? ChangedAt);

/// <summary>Reads and changes the usage retention; a change is audited and takes effect at the next sweep.</summary>
public sealed class UsageRetentionPolicy(
    IDbContextFactory<AppDbContext> contexts, IOptions<UsageRetentionOptions> options, AuditLog audit, TimeProvider clock)
{
    public async Task<RetentionSetting> CurrentAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.AppSettings.AsNoTracking().FirstOrDefaultAsync(s => s.Key == AppSettingKeys.UsageRetentionDays, cancellationToken);
        return stored is not null && int.TryParse(stored.Value, System.Globalization.CultureInfo.InvariantCulture, out var days)
            ? new RetentionSetting(days, SetByAdmin: true, stored.UpdatedAt)
            : new RetentionSetting(options.Value.RetentionDays, SetByAdmin: false, null);
    }

    /// <summary>Keeps usage for <paramref name="days"/> (0: for ever); says why not when it cannot be.</summary>
    public async Task<string?> ChangeAsync(AdminCaller admin, int days, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Change");
        ArgumentNullException.ThrowIfNull(admin);
        if (UsageRetention.Check(days) is { } problem)
        {
            return problem;
        }
        var before = await CurrentAsync(cancellationToken);
        if (before.Days == days)
        {
            return null; // the rows are kept as they were: nothing changes, nothing to account for
        }
        var value = days.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.SaveSettingAsync(AppSettingKeys.UsageRetentionDays, value, clock.GetUtcNow(), admin.UserId, cancellationToken);
        }
        await audit.RecordAsync(AuditActions.UsageRetentionChanged, admin.UserId, "", null,
            $"Usage retention: {Describe(before.Days)} → {Describe(days)}");
        return null;
    }

    public static string Describe(int days) => days == UsageRetention.Forever ? "kept for ever" : $"{days} days";
}
