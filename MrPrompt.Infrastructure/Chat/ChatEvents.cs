namespace MrPrompt.Infrastructure.Chat;

/// <summary>
/// Tells open pages that a user's session list changed behind their back (a title arrived after the
/// answer). In-process today; several instances would relay this through Postgres LISTEN/NOTIFY.
/// </summary>
public sealed class ChatEvents
{
    /// <summary>Raised with the user id whose sessions changed; handlers marshal to their own context.</summary>
    public event Action<Guid>? SessionsChanged;

    public void RaiseSessionsChanged(Guid userId) => SessionsChanged?.Invoke(userId);
}
