using System.Text;
using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Credentials;

/// <summary>What a credential may look like before it is checked with the provider and stored.</summary>
public static class CredentialRules
{
    public const int NameMaxLength = 80;
    public const int KeyMaxLength = 512;
    public const int BaseUrlMaxLength = 512;
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(7);

    public const string NameField = "Name";
    public const string KeyField = "Key";
    public const string BaseUrlField = "BaseUrl";
    public const string ExpiresAtField = "ExpiresAt";
    public const string ProviderField = "Provider";

    public static FieldErrors Validate(string? name, string? key, string? baseUrl, bool baseUrlRequired, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        var errors = new FieldErrors();
        var trimmedName = name?.Trim() ?? "";
        if (trimmedName.Length == 0)
        {
            errors.Add(NameField, "Give the key a name.");
        }
        else if (trimmedName.Length > NameMaxLength)
        {
            errors.Add(NameField, $"Use at most {NameMaxLength} characters.");
        }

        if (ValidateKey(key) is { } keyError)
        {
            errors.Add(KeyField, keyError);
        }

        if (baseUrlRequired && ValidateBaseUrl(baseUrl) is { } urlError)
        {
            errors.Add(BaseUrlField, urlError);
        }

        if (expiresAt is { } expiry && expiry <= now)
        {
            errors.Add(ExpiresAtField, "Choose a date in the future, or leave it empty.");
        }
        return errors;
    }

    public static string? ValidateKey(string? key)
    {
        var trimmed = key?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            return "Paste the API key.";
        }
        if (trimmed.Length > KeyMaxLength)
        {
            return $"That is longer than any API key ({KeyMaxLength} characters at most).";
        }
        if (trimmed.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "An API key has no spaces or line breaks: check what was pasted.";
        }
        return null;
    }

    public static string? ValidateBaseUrl(string? baseUrl)
    {
        var trimmed = baseUrl?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            return "Enter the endpoint's base URL, for example https://api.example.com/v1.";
        }
        if (trimmed.Length > BaseUrlMaxLength
            || !Uri.TryCreate(trimmed, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return "Enter an http:// or https:// address without query or credentials, for example https://api.example.com/v1.";
        }
        return null;
    }

    /// <summary>The last four characters, shown as "…abcd"; short keys show less so most of the key stays hidden.</summary>
    public static string HintOf(string key)
    {
        var trimmed = key.Trim();
        var visible = trimmed.Length >= 16 ? 4 : trimmed.Length >= 8 ? 2 : 0;
        return visible == 0 ? "" : trimmed[^visible..];
    }

    public static CredentialStatus StatusOf(DateTimeOffset? expiresAt, DateTimeOffset now) => expiresAt switch
    {
        { } e when e <= now => CredentialStatus.Expired,
        { } e when e - now <= ExpiryWarning => CredentialStatus.ExpiringSoon,
        _ => CredentialStatus.Active,
    };

    /// <summary>A provider id for a custom endpoint, from its name: lower case letters, digits and dashes.</summary>
    public static string SlugOf(string name) => Slug.Of(name, 40) is { Length: > 0 } slug ? slug : "custom";
}
