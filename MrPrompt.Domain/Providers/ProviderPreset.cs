namespace MrPrompt.Domain.Providers;

/// <summary>A provider people know by name, with the settings that make it work.</summary>
public sealed record ProviderPreset(string Id, string DisplayName, ProviderKind Kind, string? BaseUrl, string DefaultModel)
{
    public const string EchoId = "echo";
    public const string CustomId = "custom";

    public static IReadOnlyList<ProviderPreset> All { get; } =
    [
        new("openai", "OpenAI", ProviderKind.OpenAI, null, "gpt-4o-mini"),
        new("anthropic", "Anthropic", ProviderKind.Anthropic, null, "claude-haiku-4-5"),
        new("gemini", "Google Gemini", ProviderKind.OpenAICompatible, "https://generativelanguage.googleapis.com/v1beta/openai/", "gemini-2.5-flash"),
        new("streamlake", "StreamLake (Kat Coder)", ProviderKind.OpenAICompatible, "https://vanchin.streamlake.ai/api/gateway/v1/endpoints", "kat-coder"),
        new("deepinfra", "DeepInfra", ProviderKind.OpenAICompatible, "https://api.deepinfra.com/v1/openai", "meta-llama/Meta-Llama-3.1-8B-Instruct"),
        new("ollama", "Ollama", ProviderKind.OpenAICompatible, "http://localhost:11434/v1", "llama3.2"),
        new("openrouter", "OpenRouter", ProviderKind.OpenAICompatible, "https://openrouter.ai/api/v1", "openai/gpt-4o-mini"),
        new("groq", "Groq", ProviderKind.OpenAICompatible, "https://api.groq.com/openai/v1", "llama-3.1-8b-instant"),
    ];

    public static ProviderPreset? Find(string id) =>
        All.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase));
}
