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
public sealed class CircuitBreaker(TimeProvider clock, int failureThreshold = 5, TimeSpan? breakDuration = null)
{
    private readonly Lock _gate = new();
    private int _consecutiveFailures;
    private DateTimeOffset _openedAt;
    private bool _trialInFlight;

    public TimeSpan BreakDuration { get; } = breakDuration ?? TimeSpan.FromSeconds(30);

    public CircuitState State { get; private set; } = CircuitState.Closed;

    public DateTimeOffset? LastFailureAt { get; private set; }

    /// <summary>Whether a call may go ahead now. In half-open state only one trial at a time.</summary>
    public bool TryAcquire()
    {
        lock (_gate)
        {
            switch (State)
            {
                case CircuitState.Closed:
                    return true;
                case CircuitState.Open when clock.GetUtcNow() - _openedAt >= BreakDuration:
                    State = CircuitState.HalfOpen;
                    _trialInFlight = true;
                    return true;
                case CircuitState.HalfOpen when !_trialInFlight:
                    _trialInFlight = true;
                    return true;
                default:
                    return false;
            }
        }
    }

    public void RecordSuccess()
    {
        lock (_gate)
        {
            _consecutiveFailures = 0;
            _trialInFlight = false;
            State = CircuitState.Closed;
        }
    }

    public void RecordFailure()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            LastFailureAt = now;
            _trialInFlight = false;
            _consecutiveFailures++;
            if (State == CircuitState.HalfOpen || _consecutiveFailures >= failureThreshold)
            {
                State = CircuitState.Open;
                _openedAt = now;
            }
        }
    }

    /// <summary>A call that ended without telling us about the provider's health (cancelled, refused by us).</summary>
    public void RecordNeutral()
    {
        lock (_gate)
        {
            _trialInFlight = false;
        }
    }
}
