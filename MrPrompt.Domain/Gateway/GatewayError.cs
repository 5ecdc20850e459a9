namespace MrPrompt.Domain.Gateway;

/// <summary>A failed call: a code for programs, a sentence for people, and how long to wait when that helps.</summary>
public sealed record GatewayError(GatewayErrorCode Code, string Message, TimeSpan? RetryAfter = null)
{
    /// <summary>The snake_case code used in usage logs and HTTP error bodies.</summary>
    public string CodeName => ToSnakeCase(Code.ToString());

    /// <summary>Trouble that may be gone a little later (a busy or unreachable provider, a per-minute limit): worth another attempt after a pause.</summary>
    public bool IsTransient => Code is GatewayErrorCode.RateLimited or GatewayErrorCode.ProviderUnavailable or GatewayErrorCode.Timeout or GatewayErrorCode.Unknown or GatewayErrorCode.UsageLimited;

    public static GatewayError UnknownModel(string model) =>
        new(GatewayErrorCode.UnknownModel, $"The model {model} is not available here. Pick one from the list.");

    public static GatewayError ModelNotOffered(string providerName, string model, IReadOnlyList<string> offered) =>
        new(GatewayErrorCode.ModelNotOffered, offered.Count == 0
            ? $"{providerName} offers no model here now, so {model} cannot be used."
            : $"{providerName} does not offer {model} here. It offers: {string.Join(", ", offered.Take(50))}{(offered.Count > 50 ? ", …" : "")}.");

    public static GatewayError ModelNotForRole(string model, string role) =>
        new(GatewayErrorCode.ModelNotForRole, $"{model} is not open to the {role} role here. Pick another model, or ask an admin.");

    public static GatewayError PriceUnknown(string model) =>
        new(GatewayErrorCode.PriceUnknown,
            $"{model} has no known price, so a monthly budget cannot be kept with it. An admin can give it a price (Providers__<id>__Models__<n>__InputPrice and __OutputPrice) or set Limits__UnknownModelPriceUsdPerMillion.");

    public static GatewayError AnswerTooLong(string providerName, int maxCharacters) =>
        new(GatewayErrorCode.AnswerTooLong, $"{providerName}'s answer passed {maxCharacters:N0} characters, the most MrPrompt takes, and was stopped there.");

    public static GatewayError AccountDisabled() =>
        new(GatewayErrorCode.AccountDisabled, "This account is disabled. Ask an administrator to enable it.");

    public static GatewayError MissingCredential(string providerName) =>
        new(GatewayErrorCode.MissingCredential, $"Add a key for {providerName} in Settings → Provider keys to use its models.");

    public static GatewayError CredentialNeedsReentry(string providerName) =>
        new(GatewayErrorCode.CredentialNeedsReentry, $"Your key for {providerName} can no longer be read. Re-enter it in Settings → Provider keys.");

    public static GatewayError CredentialExpired(string providerName) =>
        new(GatewayErrorCode.CredentialExpired, $"Your key for {providerName} has expired. Replace it in Settings → Provider keys.");

    public static GatewayError InvalidKey(string providerName) =>
        new(GatewayErrorCode.InvalidKey, $"{providerName} rejected the API key. Check or replace it in Settings → Provider keys.");

    public static GatewayError RateLimited(string providerName, TimeSpan? wait) =>
        new(GatewayErrorCode.RateLimited,
            wait is { } w
                ? $"{providerName} is rate limiting requests. Try again in {Math.Max(1, (int)Math.Ceiling(w.TotalSeconds))} s."
                : $"{providerName} is rate limiting requests. Try again shortly.",
            wait);

    public static GatewayError ModelNotFound(string providerName, string model) =>
        new(GatewayErrorCode.ModelNotFound, $"{providerName} does not know the model {model}.");

    public static GatewayError ContextTooLong(string providerName) =>
        new(GatewayErrorCode.ContextTooLong, $"The conversation is too long for this {providerName} model. Shorten it or start a new one.");

    public static GatewayError InvalidRequest(string providerName, string? detail) =>
        new(GatewayErrorCode.InvalidRequest, detail is null ? $"{providerName} refused the request." : $"{providerName} refused the request: {detail}");

    public static GatewayError ProviderUnavailable(string providerName) =>
        new(GatewayErrorCode.ProviderUnavailable, $"{providerName} is not answering right now. Try again in a moment or pick another model.");

    public static GatewayError Timeout(string providerName) =>
        new(GatewayErrorCode.Timeout, $"{providerName} took too long to answer.");

    public static GatewayError Cancelled() =>
        new(GatewayErrorCode.Cancelled, "The answer was stopped.");

    public static GatewayError Unknown(string providerName) =>
        new(GatewayErrorCode.Unknown, $"The call to {providerName} failed unexpectedly. Try again.");

    public static GatewayError IdempotencyKeyReused() =>
        new(GatewayErrorCode.IdempotencyKeyReused, "This idempotency key was already used with a different request. Use a new key for a new request.");

    public static GatewayError RequestInProgress() =>
        new(GatewayErrorCode.RequestInProgress, "A request with this idempotency key is still in progress. Try again when it has finished.", TimeSpan.FromSeconds(1));

    /// <summary>One of MrPrompt's own per-minute limits (not the provider's); <paramref name="limit"/> names it.</summary>
    public static GatewayError UsageLimited(string limit, TimeSpan wait) =>
        new(GatewayErrorCode.UsageLimited, $"You have reached {limit}. Try again in {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} s.", wait);

    public static GatewayError BudgetExhausted(decimal budgetUsd, decimal spentUsd, DateTimeOffset renewsAt) =>
        new(GatewayErrorCode.BudgetExhausted,
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Your monthly budget of ${budgetUsd:0.00} does not cover this call (${spentUsd:0.00} spent this month). It renews on {renewsAt:d MMMM yyyy}; an admin can raise it."),
            renewsAt - DateTimeOffset.UtcNow);

    private static string ToSnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }
}
