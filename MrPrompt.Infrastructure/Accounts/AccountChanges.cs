using System.Collections.Concurrent;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>
/// When an account last changed in a way its sign-ins carry (role, display name, avatar, enabled), so
/// a browser's cookie is refreshed on its next request and an open page at once, instead of when the
/// person signs in again. Per process: the one instance a database has today.
/// </summary>
public sealed class AccountChanges(TimeProvider clock)
{
    /// <summary>Longer than any sign-in cookie lives: a change older than that has reached every cookie.</summary>
    private static readonly TimeSpan Memory = TimeSpan.FromDays(30);

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _changedAt = new();

    /// <summary>Raised after a change, with the account; open pages of that account refresh what they show.</summary>
    public event Action<Guid>? Changed;

    public void Record(Guid userId)
    {
        var now = clock.GetUtcNow();
        _changedAt[userId] = now;
        foreach (var (id, at) in _changedAt)
        {
            if (now - at > Memory)
            {
                _changedAt.TryRemove(id, out _);
            }
        }
        Changed?.Invoke(userId);
    }

    /// <summary>
    /// Whether a sign-in issued at <paramref name="issuedAt"/> predates the account's last change. Cookies
    /// keep whole seconds, so a change in the second a cookie was issued counts as after it.
    /// </summary>
    public bool ChangedSince(Guid userId, DateTimeOffset? issuedAt) =>
        _changedAt.TryGetValue(userId, out var changedAt) && (issuedAt is null || changedAt >= issuedAt.Value.AddSeconds(-1));
}
