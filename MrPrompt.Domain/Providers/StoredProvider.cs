using System.Text.Json;
using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Providers;

/// <summary>
/// A system provider an admin added in the console (<c>system_providers</c>; docs/contracts.md, "Providers managed in
/// the console"), beside those of the configuration, which stay read-only. Its key is encrypted like users' keys.
/// </summary>
public sealed class StoredProvider : IAuditable
{
    /// <summary>The provider's id in model names (<c>id/model</c>): a slug, unique among all providers.</summary>
    public string Id { get; set; } = "";

    public string DisplayName { get; set; } = "";
    public ProviderKind Kind { get; set; }
    public string? BaseUrl { get; set; }

    /// <summary>The API key, protected with Data Protection; null for an OpenAI-compatible server without keys.</summary>
    public string? EncryptedKey { get; set; }

    /// <summary>The key's last characters, to recognise it by.</summary>
    public string? KeyHint { get; set; }

    /// <summary>Whether people without a key of their own for this provider may use the system key.</summary>
    public bool SharedWithUsers { get; set; } = true;

    /// <summary>The models offered through it (<see cref="StoredModel"/>s, JSON).</summary>
    public string Models { get; set; } = "[]";

    public Guid? UpdatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A model of a stored provider: its prices per million tokens, context window, fallbacks (<c>provider/model</c>), the
/// roles that may use it through the system key (empty: every role), and whether it looks at images (null: known by name).
/// </summary>
public sealed record StoredModel(
    string Id, decimal? InputPrice = null, decimal? OutputPrice = null, int? ContextWindow = null,
    IReadOnlyList<string>? Fallbacks = null, IReadOnlyList<string>? Roles = null, bool? Vision = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<StoredModel> ListFromJson(string json) => JsonSerializer.Deserialize<List<StoredModel>>(json, Json) ?? [];

    public static string ToJson(IReadOnlyList<StoredModel> models) => JsonSerializer.Serialize(models, Json);
}

/// <summary>What an admin may enter for a provider; the form and the service both ask here.</summary>
public static class StoredProviderRules
{
    public const int MaxModels = 200;
    public const int DisplayNameMaxLength = 80;
    public const int IdMaxLength = 40;

    public static FieldErrors Validate(StoredProvider provider, IReadOnlyList<StoredModel> models, IReadOnlyCollection<string> roles)
    {
        var errors = new FieldErrors();
        if (provider.Id.Length == 0 || provider.Id.Length > IdMaxLength || !Slug.Of(provider.Id, IdMaxLength).Equals(provider.Id, StringComparison.Ordinal))
        {
            errors.Add(nameof(StoredProvider.Id), $"An id is a slug of at most {IdMaxLength} characters, such as team-openai.");
        }
        if (string.IsNullOrWhiteSpace(provider.DisplayName) || provider.DisplayName.Length > DisplayNameMaxLength)
        {
            errors.Add(nameof(StoredProvider.DisplayName), $"Give it a name of at most {DisplayNameMaxLength} characters.");
        }
        if (provider.Kind == ProviderKind.Echo)
        {
            errors.Add(nameof(StoredProvider.Kind), "The offline demo is built in; pick OpenAI, Anthropic or OpenAI-compatible.");
        }
        if (provider.Kind == ProviderKind.OpenAICompatible && string.IsNullOrWhiteSpace(provider.BaseUrl))
        {
            errors.Add(nameof(StoredProvider.BaseUrl), "An OpenAI-compatible provider needs its base URL, such as https://api.example.com/v1.");
        }
        if (provider.BaseUrl is { Length: > 0 } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || url.Length > 500))
        {
            errors.Add(nameof(StoredProvider.BaseUrl), "The base URL is an absolute http(s) address.");
        }
        else if (provider.BaseUrl is { Length: > 0 } address && Uri.TryCreate(address, UriKind.Absolute, out var parsed)
            && (parsed.UserInfo.Length > 0 || parsed.Query.Length > 0 || parsed.Fragment.Length > 0))
        {
            // The address is shown and audited; a secret belongs in the key field, which is encrypted and never shown.
            errors.Add(nameof(StoredProvider.BaseUrl), "The base URL cannot carry a user name, password or query: put the key in the key field.");
        }
        if (models.Count == 0 || models.Count > MaxModels)
        {
            errors.Add(nameof(StoredProvider.Models), $"List between 1 and {MaxModels} models, with their prices.");
        }
        foreach (var model in models)
        {
            if (string.IsNullOrWhiteSpace(model.Id) || model.Id.Length > 200 || model.Id.Any(char.IsWhiteSpace))
            {
                errors.Add(nameof(StoredProvider.Models), $"'{model.Id}' is not a model id: no spaces, at most 200 characters.");
            }
            if (model.InputPrice is < 0 || model.OutputPrice is < 0 || (model.InputPrice is null) != (model.OutputPrice is null))
            {
                errors.Add(nameof(StoredProvider.Models), $"{model.Id}: give both prices (US dollars per million tokens, 0 or more), or neither.");
            }
            if (model.ContextWindow is <= 0)
            {
                errors.Add(nameof(StoredProvider.Models), $"{model.Id}: a context window is a positive number of tokens.");
            }
            foreach (var fallback in model.Fallbacks ?? [])
            {
                if (!ModelRef.TryParse(fallback, out _))
                {
                    errors.Add(nameof(StoredProvider.Models), $"{model.Id}: the fallback '{fallback}' is not provider/model.");
                }
            }
            foreach (var role in (model.Roles ?? []).Where(r => !roles.Contains(r)))
            {
                errors.Add(nameof(StoredProvider.Models), $"{model.Id}: '{role}' is not a role ({string.Join(", ", roles)}).");
            }
        }
        if (models.GroupBy(m => m.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            errors.Add(nameof(StoredProvider.Models), $"{twice.Key} is listed twice.");
        }
        return errors;
    }
}
