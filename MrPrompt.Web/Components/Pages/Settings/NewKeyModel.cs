using MrPrompt.Domain.Providers;

namespace MrPrompt.Web.Components.Pages.Settings;

/// <summary>The add-a-key form as the user fills it.</summary>
public sealed class NewKeyModel
{
    public string Provider { get; set; } = "openai";
    public string Name { get; set; } = "OpenAI";
    public string Key { get; set; } = "";
    public string? BaseUrl { get; set; }
    public DateTime? ExpiresOn { get; set; }

    public bool NeedsBaseUrl => Provider == ProviderPreset.CustomId || ProviderPreset.Find(Provider)?.Kind == ProviderKind.OpenAICompatible;

    /// <summary>Picking a provider fills in its name and address, which the user may still change.</summary>
    public void Choose(string provider)
    {
        Provider = provider;
        var preset = ProviderPreset.Find(provider);
        Name = preset?.DisplayName ?? "";
        BaseUrl = preset?.BaseUrl;
    }
}
