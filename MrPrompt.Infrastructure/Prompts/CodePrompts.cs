using MrPrompt.Domain.Prompts;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>A prompt defined in code (docs/contracts.md, "Built-in prompts"): shown read-only in the library, versioned with the application.</summary>
public sealed record CodePrompt(string Key, string Title, string Description, IReadOnlyList<string> Tags, PromptContent Content)
{
    /// <summary>Run by MrPrompt itself: listed in the library for what it does, never offered for people to send.</summary>
    public bool IsInternal { get; init; }
}

/// <summary>The prompts that ship with MrPrompt. Their keys are reserved next to every user's own.</summary>
public static class CodePrompts
{
    /// <summary>The test prompt, exactly as docs/contracts.md ("Built-in prompts") lists it.</summary>
    public static readonly CodePrompt EchoTest = new(
        "echo-test",
        "Echo Test",
        "Simple test prompt that echoes user input",
        ["test"],
        new PromptContent(
            SystemPrompt: "You are a helpful assistant. Respond concisely.",
            UserTemplate: "The user says: {{message}}",
            Model: "openai/gpt-4o-mini",
            Temperature: 0.7f,
            MaxOutputTokens: 500));

    /// <summary>Names a chat after its first exchange (see <c>SessionTitler</c>).</summary>
    public static readonly CodePrompt ChatTitle = new(
        "chat-title",
        "Chat title",
        "Names a chat after its first question and answer, in at most six words. Runs on the chat's own model.",
        ["system"],
        new PromptContent(
            SystemPrompt: "You name conversations. Reply with a title of at most six words for the conversation below: no quotes, no final period, nothing else.",
            UserTemplate: "Question:\n{{question}}\n\nAnswer:\n{{answer}}",
            MaxOutputTokens: 24))
    {
        IsInternal = true,
    };

    public static IReadOnlyList<CodePrompt> All { get; } = [ChatTitle, EchoTest];

    public static CodePrompt? Find(string key) => All.FirstOrDefault(p => p.Key == key);
}
