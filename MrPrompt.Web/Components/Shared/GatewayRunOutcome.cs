using MrPrompt.Infrastructure.Gateway;

namespace MrPrompt.Web.Components.Shared;

/// <summary>How a run shown by <see cref="GatewayRunView"/> ended: its text, and the result when it completed.</summary>
public sealed record GatewayRunOutcome(string Text, GatewayResult? Result)
{
    public bool Completed => Result is not null;
}
