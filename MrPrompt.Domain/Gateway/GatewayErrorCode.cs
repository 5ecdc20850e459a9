namespace MrPrompt.Domain.Gateway;

/// <summary>Why a model call did not produce an answer, in terms a person can act on.</summary>
public enum GatewayErrorCode
{
    UnknownModel,
    MissingCredential,
    CredentialNeedsReentry,
    CredentialExpired,
    InvalidKey,
    RateLimited,
    ModelNotFound,
    ContextTooLong,
    InvalidRequest,
    ProviderUnavailable,
    Timeout,
    Cancelled,
    Unknown,
    IdempotencyKeyReused,
    RequestInProgress,
    UsageLimited,
    BudgetExhausted,

    /// <summary>A model its provider does not offer through the shared key.</summary>
    ModelNotOffered,

    /// <summary>A model with no known price, which a monthly budget cannot be kept with.</summary>
    PriceUnknown,

    /// <summary>An answer longer than the gateway takes (the provider did not stop).</summary>
    AnswerTooLong,

    /// <summary>The account was disabled by an admin.</summary>
    AccountDisabled,

    /// <summary>A model the caller's role may not use through the shared key.</summary>
    ModelNotForRole,
}
