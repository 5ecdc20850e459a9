using System.ComponentModel.DataAnnotations;
using MrPrompt.Domain.Accounts;

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

    /// <summary>Who may register (<see cref="RegistrationMode"/>); unset: open until the first Admin exists, then by invitation.</summary>
    public RegistrationMode? Registration { get; set; }

    /// <summary>Email domains accounts may register with, comma-separated (<c>example.com,lab.example.org</c>); empty: any.</summary>
    public string AllowedEmailDomains { get; set; } = "";
}
