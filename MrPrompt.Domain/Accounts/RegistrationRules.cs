namespace MrPrompt.Domain.Accounts;

/// <summary>Who may create an account on the registration page.</summary>
public enum RegistrationMode
{
    /// <summary>Anyone (with an email in the allowed domains, if any are set).</summary>
    Open,

    /// <summary>Only with an admin's invitation.</summary>
    Invite,

    /// <summary>Nobody: operators create accounts (<c>create-user</c>, <c>Admin__Email</c>).</summary>
    Closed,
}

/// <summary>
/// The rules of the registration page. Unless the operator chose a mode, registration is open until the
/// first Admin exists (so an install can be set up through its own page), then by invitation only.
/// </summary>
public static class RegistrationRules
{
    public const int InvitationDays = 7;

    public static RegistrationMode ModeFor(RegistrationMode? configured, bool adminExists) =>
        configured ?? (adminExists ? RegistrationMode.Invite : RegistrationMode.Open);

    /// <summary>The allowed domains of a comma-separated setting, without '@', lower case; empty: any.</summary>
    public static IReadOnlyList<string> DomainsOf(string? setting) =>
        (setting ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.TrimStart('@').ToLowerInvariant())
            .ToList();

    public static bool IsInDomains(string email, IReadOnlyList<string> domains)
    {
        var at = email.Trim().LastIndexOf('@');
        return domains.Count == 0 || (at > 0 && domains.Contains(email.Trim()[(at + 1)..].ToLowerInvariant()));
    }

    /// <summary>
    /// Why <paramref name="email"/> may not register, or null when it may. An invitation that names the
    /// email is the admin's own choice and passes the domain rule; one for whoever holds it does not.
    /// </summary>
    public static string? Refusal(RegistrationMode mode, string email, IReadOnlyList<string> domains, Invitation? invitation, DateTimeOffset now)
    {
        if (mode == RegistrationMode.Closed)
        {
            return ClosedMessage;
        }
        if (invitation is not null)
        {
            if (!invitation.IsOpenAt(now))
            {
                return InvitationGoneMessage;
            }
            if (!invitation.IsFor(email))
            {
                return $"This invitation is for {invitation.Email}.";
            }
            return invitation.Email is null && !IsInDomains(email, domains) ? DomainMessage(domains) : null;
        }
        if (mode == RegistrationMode.Invite)
        {
            return InviteOnlyMessage;
        }
        return IsInDomains(email, domains) ? null : DomainMessage(domains);
    }

    public const string ClosedMessage = "New accounts are not being created here. Ask an administrator.";
    public const string InviteOnlyMessage = "New accounts here need an invitation. Ask an administrator for a link.";
    public const string InvitationGoneMessage = "This invitation was already used, has expired or was withdrawn. Ask an administrator for a new one.";

    public static string DomainMessage(IReadOnlyList<string> domains) =>
        $"Accounts here are for email addresses at {string.Join(", ", domains.Select(d => "@" + d))}.";
}
