namespace MrPrompt.Domain.Credentials;

public enum CredentialStatus
{
    Active,

    /// <summary>Expires within <see cref="CredentialRules.ExpiryWarning"/>: still used, but the user is warned.</summary>
    ExpiringSoon,

    /// <summary>Past its expiry date: never sent upstream.</summary>
    Expired,

    /// <summary>Can no longer be decrypted (key ring lost or data damaged): the user must enter it again.</summary>
    NeedsReentry,
}
