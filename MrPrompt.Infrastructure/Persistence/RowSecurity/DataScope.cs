namespace MrPrompt.Infrastructure.Persistence.RowSecurity;

/// <summary>
/// Whose rows the database work of the current flow may touch, for row-level security: set where a flow
/// starts (a request, a page event, a background job) and carried by the async flow to every connection
/// it opens. No scope means no user-owned rows at all, so a path that forgets to set one fails closed.
/// </summary>
public static class DataScope
{
    private static readonly AsyncLocal<DataActor?> CurrentActor = new();

    /// <summary>
    /// Who a flow that never entered a scope acts as: nobody, except in the tests, whose own code arranges and
    /// checks data through the app's services outside any request (as an operator would). Requests and page
    /// events always enter a scope (<see cref="None"/> when anonymous), so this never reaches them.
    /// </summary>
    internal static DataActor? WhenUnscoped { get; set; }

    public static DataActor? Current => CurrentActor.Value ?? WhenUnscoped;

    /// <summary>Work on behalf of one account: its rows only (and public prompts to read).</summary>
    public static IDisposable ForUser(Guid userId) => Enter(new DataActor(userId, null));

    /// <summary>
    /// Work across accounts (background jobs, the admin console, API key look-up before anyone is known),
    /// named by <paramref name="reason"/>, which the database log records with each connection it opens.
    /// </summary>
    public static IDisposable AsSystem(string reason) => Enter(new DataActor(null, reason));

    /// <summary>No account at all: an anonymous request or page.</summary>
    public static IDisposable None() => Enter(Nobody);

    private static readonly DataActor Nobody = new(null, null);

    private static Restore Enter(DataActor? actor)
    {
        var previous = CurrentActor.Value;
        CurrentActor.Value = actor;
        return new Restore(previous);
    }

    private sealed class Restore(DataActor? previous) : IDisposable
    {
        public void Dispose() => CurrentActor.Value = previous;
    }
}

/// <summary>Either one account (<see cref="UserId"/>) or the system, for a stated reason.</summary>
public sealed record DataActor(Guid? UserId, string? SystemReason)
{
    public bool IsSystem => SystemReason is not null;
}
