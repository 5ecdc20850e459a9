namespace MrPrompt.Infrastructure.Accounts;

/// <summary>
/// The <c>Admin</c> section: with both keys set, start-up creates this admin account or resets its
/// password, for scripted installs.
/// </summary>
public sealed class AdminOptions
{
    public const string SectionName = "Admin";

    public string? Email { get; set; }
    public string? Password { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Email);
}
