using System.ComponentModel.DataAnnotations;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>The <c>Accounts</c> section: how strangers may come in.</summary>
public sealed class AccountOptions
{
    public const string SectionName = "Accounts";

    /// <summary>
    /// Sign-in and registration forms one client address may send a minute: enough for a person who
    /// mistypes, far too few to guess passwords.
    /// </summary>
    [Range(1, 10_000)]
    public int SignInAttemptsPerMinute { get; set; } = 20;
}
