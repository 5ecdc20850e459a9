using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// The offline demo provider: answers with the last user message, word by word, so a new installation
/// can chat at once. Deterministic and free; never touches a network. Not a stand-in for provider tests.
/// </summary>
public sealed class EchoChatClient(TimeSpan wordDelay) : IChatClient
{
    public const string ModelId = "echo";

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var history = messages.ToList();
        var prompt = history.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var words = Reply(prompt).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var limit = options?.MaxOutputTokens is int max and > 0 ? Math.Min(max, words.Length) : words.Length;
        var responseId = $"echo-{Guid.NewGuid():N}";

        for (var i = 0; i < limit; i++)
        {
            if (wordDelay > TimeSpan.Zero)
            {
                await Task.Delay(wordDelay, cancellationToken);
            }
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? words[i] : " " + words[i])
            {
                ResponseId = responseId,
                ModelId = ModelId,
            };
        }

        // Echo counts words as tokens: exact for itself, and the same every time.
        var inputWords = history.Sum(m => CountWords(m.Text));
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ResponseId = responseId,
            ModelId = ModelId,
            FinishReason = limit < words.Length ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = inputWords, OutputTokenCount = limit, TotalTokenCount = inputWords + limit })],
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static string Reply(string prompt) =>
        string.IsNullOrWhiteSpace(prompt) ? "(Echo received an empty message.)" : prompt;

    private static int CountWords(string? text) =>
        string.IsNullOrWhiteSpace(text) ? 0 : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
