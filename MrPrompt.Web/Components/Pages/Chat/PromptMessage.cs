using MrPrompt.Infrastructure.Chat;

namespace MrPrompt.Web.Components.Pages.Chat;

/// <summary>What the prompt picker hands the chat: the rendered message and the prompt version it came from.</summary>
public sealed record PromptMessage(string Text, PromptUse Use);
