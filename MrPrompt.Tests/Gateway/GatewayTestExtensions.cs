using Microsoft.Extensions.AI;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Gateway;

namespace MrPrompt.Tests.Gateway;

internal static class GatewayTestExtensions
{
    public static GatewayRequest Ask(this Guid userId, string model, string prompt = "What are the best pizza toppings? Give me a breakdown on the reasons.") => new()
    {
        UserId = userId,
        Model = ModelRef.TryParse(model, out var parsed) ? parsed : throw new ArgumentException(model),
        Messages = [new ChatMessage(ChatRole.User, prompt)],
        TraceId = Guid.NewGuid().ToString("N"),
    };

    /// <summary>Runs a stream to its end: the deltas and the closing event.</summary>
    public static async Task<(List<string> Deltas, GatewayEvent Last)> CollectAsync(this IAsyncEnumerable<GatewayEvent> events)
    {
        var deltas = new List<string>();
        GatewayEvent? last = null;
        await foreach (var item in events)
        {
            if (item is GatewayDelta delta)
            {
                deltas.Add(delta.Text);
            }
            else
            {
                last = item;
            }
        }
        return (deltas, last ?? throw new InvalidOperationException("The stream ended without a result or an error."));
    }
}
