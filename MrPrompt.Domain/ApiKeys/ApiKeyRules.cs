using MrPrompt.Domain.Common;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Domain.ApiKeys;

/// <summary>What a key may do beyond calling models, named when it is made.</summary>
public static class ApiKeyScopes
{
    /// <summary>The admin API (/api/admin), for a key of an Admin; any other key of theirs is refused there.</summary>
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Admin];
}

/// <summary>What a new personal API key may look like; the form shows these messages and the service enforces them.</summary>
public static class ApiKeyRules
{
    public const string KeyPrefix = "mrp_";
    public const int NameMaxLength = 80;
    public const int MaxAllowedModels = 50;

    public static FieldErrors Validate(string? name, DateTimeOffset? expiresAt, IReadOnlyCollection<string> allowedModels, DateTimeOffset now,
        IReadOnlyCollection<string>? scopes = null)
    {
        var errors = new FieldErrors();
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            errors.Add(nameof(PersonalApiKey.Name), "Name the key after the program that will use it.");
        }
        else if (trimmed.Length > NameMaxLength || trimmed.Any(char.IsControl))
        {
            errors.Add(nameof(PersonalApiKey.Name), $"Use at most {NameMaxLength} characters, without control characters.");
        }
        if (expiresAt is { } expiry && expiry <= now)
        {
            errors.Add(nameof(PersonalApiKey.ExpiresAt), "Pick an expiry date in the future, or none.");
        }
        if (allowedModels.Count > MaxAllowedModels)
        {
            errors.Add(nameof(PersonalApiKey.AllowedModels), $"List at most {MaxAllowedModels} models.");
        }
        foreach (var model in allowedModels.Where(m => !ModelRef.TryParse(m, out _)))
        {
            errors.Add(nameof(PersonalApiKey.AllowedModels), $"'{model}' is not a model name: use provider/model, for example openai/gpt-4o-mini.");
        }
        foreach (var scope in (scopes ?? []).Where(s => !ApiKeyScopes.All.Contains(s)))
        {
            errors.Add(nameof(PersonalApiKey.Scopes), $"'{scope}' is not a scope; the one there is: {string.Join(", ", ApiKeyScopes.All)}.");
        }
        return errors;
    }
}
