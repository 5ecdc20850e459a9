namespace MrPrompt.Infrastructure;

/// <summary>
/// Start-up cannot go on, for a reason the operator can fix; the message says which and how.
/// Logged as one line, without a stack trace, before the process exits.
/// </summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
