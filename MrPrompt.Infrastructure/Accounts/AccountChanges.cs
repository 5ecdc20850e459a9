using System.Collections.Concurrent;
using MrPrompt.Infrastructure.Cluster;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>
/// When an account last changed in a way its sign-ins carry (role, display name, avatar, enabled), so
/// a browser's cookie is refreshed on its next request and an open page at once, instead of when the
/// person signs in again, on every instance (<see cref="ClusterChanges"/>).
/// </summary>
public sealed class AccountChanges(TimeProvider clock, ClusterChanges cluster)
{
    /// <summary>Longer than any sign-in cookie lives: a change older than that has reached every cookie.</summary>
    private static readonly TimeSpan Memory = TimeSpan.FromDays(30);

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _changedAt = new();

    /// <summary>
    /// Raised after a change, with the account; open pages of that account refresh what they show. Listeners
    /// run as that account (row-level security): the change usually comes from an admin's flow, which works
    /// across accounts, and what a listener starts must not carry that into someone's page.
    /// </summary>
    public event Action<Guid>? Changed;

    /// <summary>The account changed: here at once, and on the other instances as soon as they hear of it.</summary>
    public void Record(Guid userId)
    {
        RecordHere(userId);
        cluster.Publish(new ClusterChange(ClusterChangeKind.Account, userId));
    }

    /// <summary>The account changed (on another instance, or here through <see cref="Record"/>): what this instance keeps of it is stale.</summary>
    public void RecordHere(Guid userId)
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
        using (DataScope.ForUser(userId))
        {
            Changed?.Invoke(userId);
        }
    }

    /// <summary>
    /// Whether a sign-in issued at <paramref name="issuedAt"/> predates the account's last change. Cookies
    /// keep whole seconds, so a change in the second a cookie was issued counts as after it.
    /// </summary>
    public bool ChangedSince(Guid userId, DateTimeOffset? issuedAt) =>
        _changedAt.TryGetValue(userId, out var changedAt) && (issuedAt is null || changedAt >= issuedAt.Value.AddSeconds(-1));
}
