namespace MrPrompt.Domain.Gateway;

/// <summary>
/// What one caller used over the last minute (requests or tokens), as a log of timestamped amounts:
/// exact at the window's edge, unlike fixed per-minute buckets that let twice the limit through
/// around a minute boundary. Safe to share between threads.
/// </summary>
public sealed class UsageWindow
{
    public static readonly TimeSpan Length = TimeSpan.FromMinutes(1);

    private readonly Queue<(DateTimeOffset At, long Amount)> _entries = new();
    private long _total;

    /// <summary>
    /// Takes <paramref name="amount"/> if the window has room for it under <paramref name="limit"/>;
    /// otherwise says how long until enough of it has expired.
    /// </summary>
    public (bool Admitted, TimeSpan RetryAfter) TryTake(DateTimeOffset now, long limit, long amount = 1)
    {
        lock (_entries)
        {
            Expire(now);
            if (_total + amount <= limit)
            {
                Add(now, amount);
                return (true, TimeSpan.Zero);
            }
            return (false, WaitFor(now, _total + amount - limit));
        }
    }

    /// <summary>Whether anything is left under <paramref name="limit"/>, without taking it (tokens are counted after the call).</summary>
    public (bool HasRoom, TimeSpan RetryAfter) HasRoom(DateTimeOffset now, long limit)
    {
        lock (_entries)
        {
            Expire(now);
            return _total < limit ? (true, TimeSpan.Zero) : (false, WaitFor(now, _total - limit + 1));
        }
    }

    public void Record(DateTimeOffset now, long amount)
    {
        if (amount <= 0)
        {
            return;
        }
        lock (_entries)
        {
            Expire(now);
            Add(now, amount);
        }
    }

    /// <summary>Undoes a <see cref="TryTake"/> whose request was refused by another limit after all.</summary>
    public void GiveBack(DateTimeOffset now, long amount)
    {
        lock (_entries)
        {
            Expire(now);
            // A negative entry that leaves the window with (just after) the one it cancels.
            Add(now, -Math.Min(amount, _total));
        }
    }

    public long Used(DateTimeOffset now)
    {
        lock (_entries)
        {
            Expire(now);
            return _total;
        }
    }

    private void Add(DateTimeOffset now, long amount)
    {
        _entries.Enqueue((now, amount));
        _total += amount;
    }

    private void Expire(DateTimeOffset now)
    {
        while (_entries.TryPeek(out var oldest) && now - oldest.At >= Length)
        {
            _entries.Dequeue();
            _total -= oldest.Amount;
        }
    }

    /// <summary>Time until the oldest entries holding at least <paramref name="excess"/> have left the window.</summary>
    private TimeSpan WaitFor(DateTimeOffset now, long excess)
    {
        long freed = 0;
        foreach (var (at, amount) in _entries)
        {
            freed += amount;
            if (freed >= excess)
            {
                var wait = at + Length - now;
                return wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1);
            }
        }
        return Length; // more than the window can ever hold: a full minute is the honest answer
    }
}
