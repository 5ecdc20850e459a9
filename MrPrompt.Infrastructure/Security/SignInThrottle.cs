using System.Collections.Concurrent;

namespace MrPrompt.Infrastructure.Security;

/// <summary>
/// Wrong passwords counted per account and client address: after <see cref="IdentityRules.MaxFailedSignIns"/>
/// from one address an account refuses that address for <see cref="IdentityRules.LockoutDuration"/>, while
/// its owner elsewhere signs in as usual, so a stranger's five guesses cannot lock the admin out. Only a
/// flood from many addresses (<see cref="IdentityRules.MaxFailedSignInsEverywhere"/>) locks the account for
/// everyone, through Identity's lockout, which an admin can lift. Kept in this process.
/// </summary>
public sealed class SignInThrottle(TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string Account, string Address), Failures> _failures = new();

    private sealed class Failures
    {
        public int Count;
        public DateTimeOffset Since;
    }

    public bool IsRefused(string account, string? address)
    {
        var key = Key(account, address);
        if (!_failures.TryGetValue(key, out var failures))
        {
            return false;
        }
        lock (failures)
        {
            if (clock.GetUtcNow() - failures.Since >= IdentityRules.LockoutDuration)
            {
                _failures.TryRemove(new(key, failures));
                return false;
            }
            return failures.Count >= IdentityRules.MaxFailedSignIns;
        }
    }

    public void RecordFailure(string account, string? address)
    {
        var now = clock.GetUtcNow();
        var failures = _failures.GetOrAdd(Key(account, address), _ => new Failures { Since = now });
        lock (failures)
        {
            if (now - failures.Since >= IdentityRules.LockoutDuration)
            {
                (failures.Count, failures.Since) = (0, now);
            }
            failures.Count++;
        }
        if (_failures.Count > 100_000)
        {
            Prune(now); // addresses rotate: old entries go
        }
    }

    /// <summary>A good password from an address: that address starts afresh (others keep their count).</summary>
    public void Succeeded(string account, string? address) => _failures.TryRemove(Key(account, address), out _);

    /// <summary>An admin's unlock or a new password: the account starts afresh from every address.</summary>
    public void Forget(string account)
    {
        foreach (var key in _failures.Keys.Where(k => k.Account == Normalize(account)))
        {
            _failures.TryRemove(key, out _);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, failures) in _failures)
        {
            if (now - failures.Since >= IdentityRules.LockoutDuration)
            {
                _failures.TryRemove(key, out _);
            }
        }
    }

    private static (string, string) Key(string account, string? address) => (Normalize(account), address ?? "");

    private static string Normalize(string account) => account.Trim().ToUpperInvariant();
}
