namespace MrPrompt.Domain.Accounts;

/// <summary>
/// Something an admin may need to account for later: who did what to which account or thing, when,
/// and from where. <see cref="Detail"/> is written for people and never holds a secret.
/// </summary>
public sealed class AuditEvent
{
    public Guid Id { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>Who acted; null for an anonymous attempt (a failed sign-in with an unknown email).</summary>
    public Guid? ActorId { get; set; }

    /// <summary>The actor's email at the time, or the email an anonymous attempt gave.</summary>
    public string ActorEmail { get; set; } = "";
    public string Action { get; set; } = "";

    /// <summary>The account, key, credential or prompt acted on.</summary>
    public Guid? TargetId { get; set; }
    public string Detail { get; set; } = "";

    /// <summary>Where from: the client's address for web requests.</summary>
    public string? Source { get; set; }
}

/// <summary>The actions the audit log records.</summary>
public static class AuditActions
{
    public const string SignIn = "sign_in";
    public const string SignInFailed = "sign_in_failed";
    public const string RoleChanged = "role_changed";
    public const string AccountDisabled = "account_disabled";
    public const string AccountEnabled = "account_enabled";
    public const string CredentialAdded = "credential_added";
    public const string CredentialReplaced = "credential_replaced";
    public const string CredentialDeleted = "credential_deleted";
    public const string ApiKeyCreated = "api_key_created";
    public const string ApiKeyRevoked = "api_key_revoked";
    public const string PromptPublished = "prompt_published";
    public const string UsageRetentionChanged = "usage_retention_changed";
    public const string AccountUnlocked = "account_unlocked";
    public const string PasswordResetLinkCreated = "password_reset_link_created";
    public const string PasswordReset = "password_reset";
    public const string PasswordChanged = "password_changed";
    public const string InvitationCreated = "invitation_created";
    public const string InvitationWithdrawn = "invitation_withdrawn";
    public const string InvitationUsed = "invitation_used";
    public const string ProtectedLabelsChanged = "protected_labels_changed";
    public const string BudgetChanged = "budget_changed";
    public const string ProviderAdded = "provider_added";
    public const string ProviderChanged = "provider_changed";
    public const string ProviderRemoved = "provider_removed";

    public static IReadOnlyList<string> All { get; } =
    [
        SignIn, SignInFailed, RoleChanged, AccountDisabled, AccountEnabled, CredentialAdded, CredentialReplaced,
        CredentialDeleted, ApiKeyCreated, ApiKeyRevoked, PromptPublished, UsageRetentionChanged,
        AccountUnlocked, PasswordResetLinkCreated, PasswordReset, PasswordChanged,
        InvitationCreated, InvitationWithdrawn, InvitationUsed, ProtectedLabelsChanged, BudgetChanged,
        ProviderAdded, ProviderChanged, ProviderRemoved,
    ];
}
