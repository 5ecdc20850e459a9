using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MrPrompt.Benchmarks;

/// <summary>A provider that answers instantly from memory, so only the pipeline's own cost is measured.</summary>
internal sealed class InProcessChatClient : IChatClient
{
    private static readonly ChatResponse Response = new(new ChatMessage(ChatRole.Assistant, "Hello! How can I assist you today?"))
    {
        Usage = new UsageDetails { InputTokenCount = 11, OutputTokenCount = 9, TotalTokenCount = 20 },
        FinishReason = ChatFinishReason.Stop,
    };

    private static readonly ChatResponseUpdate[] Updates =
    [
        .. "Hello ! How can I assist you today ?".Split(' ').Select(word => new ChatResponseUpdate(ChatRole.Assistant, word + " ")),
        new ChatResponseUpdate
        {
            FinishReason = ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = 11, OutputTokenCount = 9, TotalTokenCount = 20 })],
        },
    ];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(Response);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in Updates)
        {
            yield return update;
        }
        await Task.CompletedTask;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
