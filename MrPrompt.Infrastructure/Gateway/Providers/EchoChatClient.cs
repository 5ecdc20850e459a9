using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// The offline demo provider: answers with the last user message, word by word and character for character, so a new installation
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
        var pieces = Pieces(Reply(prompt));
        var limit = options?.MaxOutputTokens is int max and > 0 ? Math.Min(max, pieces.Count) : pieces.Count;
        var responseId = $"echo-{Guid.NewGuid():N}";

        for (var i = 0; i < limit; i++)
        {
            if (wordDelay > TimeSpan.Zero)
            {
                await Task.Delay(wordDelay, cancellationToken);
            }
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, pieces[i])
            {
                ResponseId = responseId,
                ModelId = ModelId,
            };
        }

        // Echo counts its pieces as tokens: exact for itself, and the same every time.
        var inputTokens = history.Sum(m => Pieces(m.Text ?? "").Count);
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ResponseId = responseId,
            ModelId = ModelId,
            FinishReason = limit < pieces.Count ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = limit, TotalTokenCount = inputTokens + limit })],
        };
    }

    /// <summary>
    /// The text cut into the pieces it streams in: each word with the whitespace before it, so the pieces
    /// joined are the text exactly (indentation, line breaks and nested lists survive), and long runs
    /// without spaces (Chinese, Japanese, a URL) cut every <see cref="LongestPiece"/> characters.
    /// </summary>
    public static List<string> Pieces(string text)
    {
        var pieces = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var end = start;
            while (end < text.Length && char.IsWhiteSpace(text[end]))
            {
                end++;
            }
            var wordStart = end;
            while (end < text.Length && !char.IsWhiteSpace(text[end]) && end - wordStart < LongestPiece)
            {
                end++;
            }
            // Never split a surrogate pair (an emoji) across two pieces.
            if (end < text.Length && end > wordStart && char.IsHighSurrogate(text[end - 1]))
            {
                end++;
            }
            if (end == text.Length && pieces.Count > 0 && wordStart == end)
            {
                pieces[^1] += text[start..]; // trailing whitespace stays with the last word
                break;
            }
            pieces.Add(text[start..end]);
            start = end;
        }
        return pieces;
    }

    /// <summary>About what a tokenizer makes of text without spaces, kept whole enough to read as it streams.</summary>
    private const int LongestPiece = 16;

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static string Reply(string prompt) =>
        string.IsNullOrWhiteSpace(prompt) ? "(Echo received an empty message.)" : prompt;
}
