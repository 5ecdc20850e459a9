using System.Globalization;
using Microsoft.Extensions.Configuration;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// The system providers of this installation, read once from configuration: one <c>Providers:&lt;id&gt;</c>
/// section each, plus the usual environment shortcuts (<c>OPENAI_API_KEY</c>, <c>ANTHROPIC_API_KEY</c>,
/// <c>GEMINI_API_KEY</c>, <c>CHAT_API_BASE</c>/<c>CHAT_API_KEY</c>/<c>CHAT_MODEL_DEFAULT</c>) and the
/// offline Echo provider unless it is switched off. A wrong setting fails start-up naming its key.
/// Beside them, the providers admins add in the console (<see cref="StoredProviders"/>), swapped in whole
/// whenever they change, so a call sees either the old set or the new one.
/// </summary>
public sealed class ProviderCatalog
{
    public const string SectionName = "Providers";
    public const string EchoDisplayName = "Echo (offline demo)";

    private readonly Dictionary<string, ProviderDefinition> _providers;

    public ProviderCatalog(IConfiguration configuration)
    {
        _providers = new Dictionary<string, ProviderDefinition>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in configuration.GetSection(SectionName).GetChildren())
        {
            if (ReadBool(section, "Enabled") == false)
            {
                continue;
            }
            if (string.Equals(section.Key, ProviderPreset.EchoId, StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(section["Kind"]))
            {
                // The demo takes a name of the operator's choosing; nothing else about it is configurable.
                Add(EchoProvider with { DisplayName = section["DisplayName"] is { Length: > 0 } name ? name : EchoDisplayName });
                continue;
            }
            Add(ReadProvider(section, configuration));
        }
        AddEnvironmentShortcuts(configuration);
        var echo = configuration.GetSection($"{SectionName}:{ProviderPreset.EchoId}");
        if (!_providers.ContainsKey(ProviderPreset.EchoId) && ReadBool(echo, "Enabled") != false)
        {
            Add(EchoProvider);
        }
        ValidateFallbacks();
    }

    private volatile IReadOnlyDictionary<string, ProviderDefinition> _stored = new Dictionary<string, ProviderDefinition>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The configured providers, then those admins added.</summary>
    public IReadOnlyCollection<ProviderDefinition> All => [.. _providers.Values, .. _stored.Values];

    public ProviderDefinition? Find(string providerId) => _providers.GetValueOrDefault(providerId) ?? _stored.GetValueOrDefault(providerId);

    /// <summary>Whether the provider comes from the configuration (read-only in the console).</summary>
    public bool IsConfigured(string providerId) => _providers.ContainsKey(providerId);

    /// <summary>Makes <paramref name="stored"/> the providers admins added, replacing the earlier set at once.</summary>
    internal void ReplaceStored(IEnumerable<ProviderDefinition> stored) =>
        _stored = stored.Where(p => !_providers.ContainsKey(p.Id)).ToDictionary(p => p.Id, StringComparer.OrdinalIgnoreCase);

    public static ProviderDefinition EchoProvider { get; } = new()
    {
        Id = ProviderPreset.EchoId,
        DisplayName = EchoDisplayName,
        Kind = ProviderKind.Echo,
        DefaultModel = "echo",
        Models = [new ModelDefinition("echo") { Price = ModelPrice.Free }],
    };

    /// <summary>The environment shortcut that holds each well-known provider's key.</summary>
    private static readonly Dictionary<string, string> ShortcutKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["openai"] = "OPENAI_API_KEY",
        ["anthropic"] = "ANTHROPIC_API_KEY",
        ["gemini"] = "GEMINI_API_KEY",
    };

    private void Add(ProviderDefinition provider) => _providers[provider.Id] = provider;

    private static ProviderDefinition ReadProvider(IConfigurationSection section, IConfiguration configuration)
    {
        var key = section.Path;
        var preset = section["Preset"] is { Length: > 0 } presetId
            ? ProviderPreset.Find(presetId) ?? throw Invalid($"{key}:Preset", $"is '{presetId}'; use one of {string.Join(", ", ProviderPreset.All.Select(p => p.Id))}")
            : ProviderPreset.Find(section.Key);

        var kindText = section["Kind"];
        ProviderKind kind;
        if (string.IsNullOrWhiteSpace(kindText))
        {
            kind = preset?.Kind ?? throw Invalid($"{key}:Kind", $"is missing; use one of {string.Join(", ", Enum.GetNames<ProviderKind>())}");
        }
        else if (!Enum.TryParse(kindText, ignoreCase: true, out kind) || !Enum.IsDefined(kind))
        {
            throw Invalid($"{key}:Kind", $"is '{kindText}'; use one of {string.Join(", ", Enum.GetNames<ProviderKind>())}");
        }

        var baseUrl = section["BaseUrl"] is { Length: > 0 } configuredUrl ? configuredUrl : preset?.BaseUrl;
        if (kind == ProviderKind.OpenAICompatible && CredentialRules.ValidateBaseUrl(baseUrl) is { } urlError)
        {
            throw Invalid($"{key}:BaseUrl", urlError);
        }
        if (baseUrl is not null && kind is ProviderKind.OpenAI or ProviderKind.Anthropic && CredentialRules.ValidateBaseUrl(baseUrl) is { } otherUrlError)
        {
            throw Invalid($"{key}:BaseUrl", otherUrlError);
        }

        var models = ReadModels(section.GetSection("Models"));
        return new ProviderDefinition
        {
            Id = CredentialRules.SlugOf(section.Key),
            DisplayName = section["DisplayName"] is { Length: > 0 } name ? name : preset?.DisplayName ?? section.Key,
            Kind = kind,
            BaseUrl = string.IsNullOrWhiteSpace(baseUrl) ? null : baseUrl.Trim(),
            // OPENAI_API_KEY with Providers__openai__BaseUrl (a company proxy, say): the section takes the shortcut's key.
            SystemApiKey = (section["ApiKey"] is { Length: > 0 } apiKey ? apiKey
                : ShortcutKeys.TryGetValue(section.Key, out var shortcut) && configuration[shortcut] is { Length: > 0 } shortcutKey ? shortcutKey
                : null)?.Trim(),
            DefaultModel = section["DefaultModel"] is { Length: > 0 } defaultModel ? defaultModel : models.FirstOrDefault()?.Id ?? preset?.DefaultModel,
            Models = models,
            SharedWithUsers = ReadBool(section, "SharedWithUsers") ?? true,
        };
    }

    /// <summary>Each entry is a model id, or an object with Id, InputPrice, OutputPrice, ContextWindow, Fallbacks and Roles.</summary>
    private static List<ModelDefinition> ReadModels(IConfigurationSection models)
    {
        var result = new List<ModelDefinition>();
        foreach (var entry in models.GetChildren())
        {
            if (entry.Value is { Length: > 0 } plainId)
            {
                result.Add(new ModelDefinition(plainId.Trim()));
                continue;
            }
            var id = entry["Id"] is { Length: > 0 } configuredId ? configuredId.Trim() : throw Invalid($"{entry.Path}:Id", "is missing");
            var input = ReadDecimal(entry, "InputPrice");
            var output = ReadDecimal(entry, "OutputPrice");
            if ((input is null) != (output is null))
            {
                throw Invalid($"{entry.Path}:OutputPrice", "and InputPrice must be set together (USD per million tokens)");
            }
            var fallbacks = entry.GetSection("Fallbacks").GetChildren().Select(f =>
                ModelRef.TryParse(f.Value, out var fallback) ? fallback : throw Invalid(f.Path, $"is '{f.Value}'; write provider/model")).ToList();
            var roles = entry.GetSection("Roles").GetChildren().Select(r =>
                AppRoles.All.FirstOrDefault(known => string.Equals(known, r.Value, StringComparison.OrdinalIgnoreCase))
                ?? throw Invalid(r.Path, $"is '{r.Value}'; use one of {string.Join(", ", AppRoles.All)}")).ToList();
            result.Add(new ModelDefinition(id)
            {
                Price = input is null ? null : new ModelPrice(input.Value, output!.Value),
                ContextWindow = ReadInt(entry, "ContextWindow"),
                Fallbacks = fallbacks,
                Roles = roles,
                Vision = ReadBool(entry, "Vision"),
            });
        }
        return result;
    }

    private void AddEnvironmentShortcuts(IConfiguration configuration)
    {
        foreach (var (presetId, keyName) in ShortcutKeys)
        {
            AddShortcut(presetId, configuration[keyName], baseUrl: null, defaultModel: null);
        }
        if (configuration["CHAT_API_BASE"] is { Length: > 0 } chatBase && !_providers.ContainsKey("chat"))
        {
            if (CredentialRules.ValidateBaseUrl(chatBase) is { } error)
            {
                throw Invalid("CHAT_API_BASE", error);
            }
            var chatModel = configuration["CHAT_MODEL_DEFAULT"] is { Length: > 0 } model ? model : null;
            Add(new ProviderDefinition
            {
                Id = "chat",
                DisplayName = new Uri(chatBase).Host,
                Kind = ProviderKind.OpenAICompatible,
                BaseUrl = chatBase,
                // CHAT_API_KEY, falling back to OPENAI_API_KEY (docs/contracts.md, "Environment variables").
                SystemApiKey = configuration["CHAT_API_KEY"] is { Length: > 0 } chatKey ? chatKey : configuration["OPENAI_API_KEY"],
                DefaultModel = chatModel,
                Models = chatModel is null ? [] : [new ModelDefinition(chatModel)],
            });
        }
    }

    private void AddShortcut(string presetId, string? apiKey, string? baseUrl, string? defaultModel)
    {
        if (string.IsNullOrWhiteSpace(apiKey) || _providers.ContainsKey(presetId))
        {
            return;
        }
        var preset = ProviderPreset.Find(presetId)!;
        Add(new ProviderDefinition
        {
            Id = preset.Id,
            DisplayName = preset.DisplayName,
            Kind = preset.Kind,
            BaseUrl = baseUrl ?? preset.BaseUrl,
            SystemApiKey = apiKey.Trim(),
            DefaultModel = defaultModel ?? preset.DefaultModel,
        });
    }

    private void ValidateFallbacks()
    {
        foreach (var provider in _providers.Values)
        {
            foreach (var model in provider.Models)
            {
                foreach (var fallback in model.Fallbacks.Where(f => !_providers.ContainsKey(f.Provider)))
                {
                    throw Invalid($"{SectionName}:{provider.Id}:Models ({model.Id}) Fallbacks", $"name '{fallback}', but there is no provider '{fallback.Provider}'");
                }
                var chain = model.Fallbacks.Prepend(new ModelRef(provider.Id, model.Id)).ToList();
                if (chain.Distinct().Count() != chain.Count)
                {
                    throw Invalid($"{SectionName}:{provider.Id}:Models ({model.Id}) Fallbacks", "repeat a model; each may appear once, and not the model itself");
                }
            }
        }
    }

    private static bool? ReadBool(IConfigurationSection section, string name) =>
        section[name] is { Length: > 0 } text
            ? bool.TryParse(text, out var value) ? value : throw Invalid($"{section.Path}:{name}", $"is '{text}'; use true or false")
            : null;

    private static decimal? ReadDecimal(IConfigurationSection section, string name) =>
        section[name] is { Length: > 0 } text
            ? decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value >= 0
                ? value
                : throw Invalid($"{section.Path}:{name}", $"is '{text}'; use a non-negative number such as 0.15")
            : null;

    private static int? ReadInt(IConfigurationSection section, string name) =>
        section[name] is { Length: > 0 } text
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw Invalid($"{section.Path}:{name}", $"is '{text}'; use a positive whole number")
            : null;

    private static StartupException Invalid(string key, string problem) => new($"{key} {problem}.");
}
