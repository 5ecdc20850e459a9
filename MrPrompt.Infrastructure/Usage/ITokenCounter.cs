using Microsoft.Extensions.AI;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>Counts tokens for providers that report no usage; the result is flagged as an estimate.</summary>
public interface ITokenCounter
{
    int Count(string text);

    int Count(IEnumerable<ChatMessage> messages) => messages.Sum(m => Count(m.Text));
}
