using System.Text.Json;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>A prompt version rendered for one caller: the exact text a model will get, and the data the loaders supplied.</summary>
public sealed record PreparedPrompt(PromptView Prompt, PromptVersion Version, string SystemText, string UserText, IReadOnlyDictionary<string, object?> LoadedData)
{
    /// <summary>The stored version this came from; built-in prompts have none.</summary>
    public Guid? VersionId => Prompt.IsCodeDefined ? null : Version.Id;

    /// <summary>The model to use: the one asked for, else the version's default.</summary>
    public ModelRef? ModelOr(string? requested) =>
        ModelRef.TryParse(string.IsNullOrWhiteSpace(requested) ? Version.Model : requested, out var model) ? model : null;

    /// <summary>A gateway call for this prompt, attributed to its version in the usage log.</summary>
    public GatewayRequest ToRequest(Guid userId, ModelRef model, UsageSource source, float? temperature = null, int? maxOutputTokens = null) => new()
    {
        UserId = userId,
        Model = model,
        Messages = SystemText.Length > 0
            ? [new AiChatMessage(AiChatRole.System, SystemText), new AiChatMessage(AiChatRole.User, UserText)]
            : [new AiChatMessage(AiChatRole.User, UserText)],
        Temperature = temperature ?? Version.Temperature,
        MaxOutputTokens = maxOutputTokens ?? Version.MaxOutputTokens,
        ResponseFormat = Version.ResponseFormat switch
        {
            PromptResponseFormat.Json => GatewayResponseFormat.Json,
            PromptResponseFormat.JsonSchema => GatewayResponseFormat.JsonSchema,
            _ => GatewayResponseFormat.Text,
        },
        JsonSchema = Version.ResponseFormat == PromptResponseFormat.JsonSchema && Version.JsonSchema is { } schema
            ? JsonDocument.Parse(schema).RootElement.Clone()
            : null,
        Source = source,
        PromptVersionId = VersionId,
    };
}
