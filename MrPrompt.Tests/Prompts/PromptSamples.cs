using MrPrompt.Domain.Prompts;

namespace MrPrompt.Tests.Prompts;

/// <summary>Prompt details and contents the prompt tests start from.</summary>
internal static class PromptSamples
{
    public static PromptDetails Details(string key = "listing-description", PromptVisibility visibility = PromptVisibility.Private, params string[] tags) =>
        new(key, "Listing description", "Writes a listing.", tags, visibility);

    public static PromptContent Content(string userTemplate = "Describe {{listing.city}} for {{user.displayName}}.", params string[] loaders) =>
        new("You write property listings.", userTemplate, "openai/gpt-4o-mini", 0.5f, 200, DataLoaders: loaders);
}
