using Microsoft.AspNetCore.Identity;

namespace MrPrompt.Infrastructure.Security;

/// <summary>An account: the email is its user name. Display data lives in <see cref="Domain.Profiles.Profile"/>.</summary>
public sealed class ApplicationUser : IdentityUser<Guid>
{
    /// <summary>
    /// Set when the account is disabled: its API keys stop working at once. Unlike a lockout, failed
    /// passwords from strangers never set it, so nobody can switch off someone else's programs.
    /// </summary>
    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>The most this user's calls may cost per calendar month (UTC), in US dollars; null means the configured default.</summary>
    public decimal? MonthlyBudgetUsd { get; set; }
}
