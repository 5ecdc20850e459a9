namespace MrPrompt.Domain.Providers;

/// <summary>Which official SDK talks to a provider.</summary>
public enum ProviderKind
{
    /// <summary>api.openai.com through the OpenAI SDK.</summary>
    OpenAI,

    /// <summary>api.anthropic.com through the Anthropic SDK.</summary>
    Anthropic,

    /// <summary>Any endpoint that speaks OpenAI's chat completions API, through the OpenAI SDK with a base URL.</summary>
    OpenAICompatible,

    /// <summary>Offline demo provider: repeats the prompt back. Never calls a network.</summary>
    Echo,
}
