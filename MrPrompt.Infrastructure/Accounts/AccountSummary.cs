using MrPrompt.Domain.Profiles;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>An account as people see it: profile, email and role together.</summary>
/// <remarks>Init properties rather than a positional record, so queries can still filter and sort on them.</remarks>
public sealed record AccountSummary
{
    public required Guid Id { get; init; }
    public required string Email { get; init; }
    public required string DisplayName { get; init; }
    public string? AvatarUrl { get; init; }
    public required string Role { get; init; }
    public ThemePreference Theme { get; init; }
    public string TimeZone { get; init; } = ProfileRules.DefaultTimeZone;
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The account's own monthly spending cap in US dollars; null: the configured default (<c>Limits__DefaultMonthlyBudgetUsd</c>).</summary>
    public decimal? MonthlyBudgetUsd { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When an admin disabled the account; null while it may sign in.</summary>
    public DateTimeOffset? DisabledAt { get; init; }

    /// <summary>Until when wrong passwords locked the account; in the past (or null) once it may try again.</summary>
    public DateTimeOffset? LockedOutUntil { get; init; }

    public bool IsLockedOutAt(DateTimeOffset now) => LockedOutUntil > now;
}
