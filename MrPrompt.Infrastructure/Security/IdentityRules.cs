using Microsoft.AspNetCore.Identity;

namespace MrPrompt.Infrastructure.Security;

/// <summary>Account rules: the email is the user name, passwords are strong, guessing locks the account.</summary>
public static class IdentityRules
{
    /// <summary>Wrong passwords from one address before the account refuses that address for a while (<see cref="SignInThrottle"/>).</summary>
    public const int MaxFailedSignIns = 5;

    /// <summary>Wrong passwords from anywhere before the account is locked for everyone (Identity's lockout).</summary>
    public const int MaxFailedSignInsEverywhere = 50;

    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    public static void Configure(IdentityOptions options)
    {
        options.User.RequireUniqueEmail = true;
        options.SignIn.RequireConfirmedAccount = false;
        options.Password.RequiredLength = 8;
        options.Password.RequireNonAlphanumeric = false;
        options.Password.RequireUppercase = true;
        options.Password.RequireLowercase = true;
        options.Password.RequireDigit = true;
        options.Lockout.AllowedForNewUsers = true;
        options.Lockout.MaxFailedAccessAttempts = MaxFailedSignInsEverywhere;
        options.Lockout.DefaultLockoutTimeSpan = LockoutDuration;
    }
}
