namespace MrPrompt.Domain.Gateway;

public enum CircuitState
{
    Closed,
    Open,
    HalfOpen,
}

/// <summary>
/// Stops calling a provider that keeps failing, so users get a fast answer (or a fallback) instead of
/// waiting on timeouts. After <see cref="BreakDuration"/> one trial call is let through: its success
/// closes the circuit, its failure opens it again.
/// </summary>
/// <remarks>
/// Every permitted call gets a ticket. Outcomes of calls that started before the circuit opened
/// (stale tickets) do not decide the trial, so slow stragglers can neither close an open circuit
/// nor let a second trial through.
/// </remarks>
public sealed class CircuitBreaker(TimeProvider clock, int failureThreshold = 5, TimeSpan? breakDuration = null)
{
    private readonly Lock _gate = new();
    private int _consecutiveFailures;
    private DateTimeOffset _openedAt;
    private long _lastTicket;
    private long _openedAtTicket;
    private long? _trialTicket;

    public TimeSpan BreakDuration { get; } = breakDuration ?? TimeSpan.FromSeconds(30);

    public CircuitState State { get; private set; } = CircuitState.Closed;

    public DateTimeOffset? LastFailureAt { get; private set; }

    /// <summary>Whether a call may go ahead now; if so, <paramref name="ticket"/> identifies it when it reports back.</summary>
    public bool TryAcquire(out long ticket)
    {
        lock (_gate)
        {
            ticket = 0;
            switch (State)
            {
                case CircuitState.Closed:
                    ticket = ++_lastTicket;
                    return true;
                case CircuitState.Open when clock.GetUtcNow() - _openedAt >= BreakDuration:
                case CircuitState.HalfOpen when _trialTicket is null:
                    State = CircuitState.HalfOpen;
                    ticket = ++_lastTicket;
                    _trialTicket = ticket;
                    return true;
                default:
                    return false;
            }
        }
    }

    public void RecordSuccess(long ticket)
    {
        lock (_gate)
        {
            if (State == CircuitState.Closed || ticket == _trialTicket)
            {
                _consecutiveFailures = 0;
                _trialTicket = null;
                State = CircuitState.Closed;
            }
        }
    }

    public void RecordFailure(long ticket)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            LastFailureAt = now;
            if (ticket == _trialTicket)
            {
                Open(now);
            }
            else if (State == CircuitState.Closed && ticket > _openedAtTicket && ++_consecutiveFailures >= failureThreshold)
            {
                Open(now);
            }
        }
    }

    /// <summary>A call that ended without telling us about the provider's health (cancelled, refused by us).</summary>
    public void RecordNeutral(long ticket)
    {
        lock (_gate)
        {
            if (ticket == _trialTicket)
            {
                _trialTicket = null; // the next caller may try
            }
        }
    }

    private void Open(DateTimeOffset now)
    {
        State = CircuitState.Open;
        _openedAt = now;
        _openedAtTicket = _lastTicket;
        _trialTicket = null;
        _consecutiveFailures = 0;
    }
}
