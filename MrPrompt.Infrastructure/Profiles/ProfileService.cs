using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Common;
using MrPrompt.Domain.Profiles;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Profiles;

/// <summary>A user's own profile. Every call names the user, and touches only that user's row.</summary>
public sealed class ProfileService(IDbContextFactory<AppDbContext> contexts, AccountChanges changes)
{
    public async Task<AccountSummary?> GetAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Summaries().AsNoTracking().FirstOrDefaultAsync(a => a.Id == userId, cancellationToken);
    }

    /// <summary>Validates and saves the display data; returns the errors per field, empty on success.</summary>
    public async Task<FieldErrors> UpdateAsync(
        Guid userId, string displayName, string? avatarUrl, string? timeZone = null, CancellationToken cancellationToken = default)
    {
        var errors = ProfileRules.Validate(displayName, avatarUrl);
        if (timeZone is not null && ProfileRules.ValidateTimeZone(timeZone) is { } zoneError)
        {
            errors.Add(ProfileRules.TimeZoneField, zoneError);
        }
        if (!errors.IsEmpty)
        {
            return errors;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var profile = await db.Profiles.FirstOrDefaultAsync(p => p.Id == userId, cancellationToken)
            ?? throw new InvalidOperationException($"Account {userId} has no profile.");
        (profile.DisplayName, profile.AvatarUrl) = ProfileRules.Normalize(displayName, avatarUrl);
        profile.TimeZone = timeZone?.Trim() ?? profile.TimeZone;
        await db.SaveChangesAsync(cancellationToken);
        changes.Record(userId); // the top bar shows the name and avatar from the sign-in
        return errors;
    }

    public async Task<ThemePreference> GetThemeAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Profiles.Where(p => p.Id == userId).Select(p => p.Theme).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task SetThemeAsync(Guid userId, ThemePreference theme, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var profile = await db.Profiles.FirstOrDefaultAsync(p => p.Id == userId, cancellationToken);
        if (profile is not null && profile.Theme != theme)
        {
            profile.Theme = theme;
            await db.SaveChangesAsync(cancellationToken);
        }
    }
}
