using MrPrompt.Domain.Profiles;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>An account as people see it: profile, email and role together.</summary>
public sealed record AccountSummary(
    Guid Id,
    string Email,
    string DisplayName,
    string? AvatarUrl,
    string Role,
    ThemePreference Theme,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
