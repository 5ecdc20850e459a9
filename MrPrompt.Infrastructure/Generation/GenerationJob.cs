using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Gateway;

namespace MrPrompt.Infrastructure.Generation;

/// <summary>
/// An answer to write into an assistant message that already exists (status <c>streaming</c>).
/// <paramref name="AfterFinish"/> runs once the final state is saved, for follow-up work such as titling.
/// </summary>
public sealed record GenerationJob(
    Guid MessageId,
    Guid SessionId,
    GatewayRequest Request,
    Func<GenerationOutcome, Task>? AfterFinish = null);

/// <summary>How a generation ended, as saved.</summary>
public sealed record GenerationOutcome(Guid MessageId, Guid SessionId, Guid UserId, MessageStatus Status, string Text, GatewayResult? Result);
