using MrPrompt.Domain.Providers;

namespace MrPrompt.Domain.Chat;

/// <summary>What a person can set per chat: the model, a system prompt, the sampling options and the knowledge collections it searches.</summary>
public sealed record SessionSettings(string Model, string? SystemPrompt = null, float? Temperature = null, int? MaxOutputTokens = null,
    IReadOnlyList<Guid>? Knowledge = null)
{
    public const int MaxOutputTokensLimit = 1_000_000;
    public const int MaxKnowledgeCollections = 5;

    /// <summary>Null when the settings can be saved, else the first thing to fix.</summary>
    public string? Validate() =>
        !ModelRef.TryParse(Model, out _) ? "Pick a model for this chat."
        : SystemPrompt is { Length: > ChatRules.SystemPromptMaxLength } ? $"A system prompt can be at most {ChatRules.SystemPromptMaxLength:N0} characters."
        : SystemPrompt?.Contains('\0', StringComparison.Ordinal) == true ? "A system prompt cannot contain a NUL character."
        : Temperature is < 0 or > ChatRules.MaxTemperature ? $"Temperature goes from 0 to {ChatRules.MaxTemperature:0}."
        : MaxOutputTokens is < 1 or > MaxOutputTokensLimit ? $"Max tokens goes from 1 to {MaxOutputTokensLimit:N0}."
        : Knowledge?.Distinct().Count() > MaxKnowledgeCollections ? $"A chat searches at most {MaxKnowledgeCollections} knowledge collections."
        : null;

    public void ApplyTo(ChatSession session)
    {
        session.Model = Model.Trim();
        session.SystemPrompt = string.IsNullOrWhiteSpace(SystemPrompt) ? null : SystemPrompt.Trim();
        session.Temperature = Temperature;
        session.MaxOutputTokens = MaxOutputTokens;
        session.KnowledgeCollectionIds = Knowledge?.Distinct().ToArray() ?? [];
    }

    public static SessionSettings Of(ChatSession session) =>
        new(session.Model, session.SystemPrompt, session.Temperature, session.MaxOutputTokens, session.KnowledgeCollectionIds);
}
