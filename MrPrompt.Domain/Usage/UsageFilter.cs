using MrPrompt.Domain.Common;

namespace MrPrompt.Domain.Usage;

/// <summary>
/// Which usage rows an admin looks at: those executed in [<see cref="From"/>, <see cref="To"/>) that
/// match every filter given. A null filter matches everything.
/// </summary>
public sealed record UsageFilter(DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The longest range one question may span: ten years, beyond any retention setting.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(3660);

    /// <summary>Ranges lie within these years, far from the ends of the calendar where time arithmetic overflows.</summary>
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset Latest = new(3000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public Guid? UserId { get; init; }
    public string? Provider { get; init; }
    public string? Model { get; init; }

    /// <summary>Rows of any version of this prompt (ignored when <see cref="PromptVersionId"/> is set).</summary>
    public Guid? PromptId { get; init; }

    public Guid? PromptVersionId { get; init; }
    public UsageStatus? Status { get; init; }
    public UsageSource? Source { get; init; }

    /// <summary>What is wrong with this filter, by field; empty when it can be asked.</summary>
    public FieldErrors Validate()
    {
        var errors = new FieldErrors();
        if (From < Earliest || To > Latest)
        {
            errors.Add(From < Earliest ? "from" : "to", "Choose times between the years 2000 and 2999.");
        }
        else if (From >= To)
        {
            errors.Add("to", "The end of the range must come after its start.");
        }
        else if (To - From > MaxRange)
        {
            errors.Add("from", "Choose a range of at most ten years.");
        }
        if (Provider is { Length: > 64 })
        {
            errors.Add("provider", "A provider id has at most 64 characters.");
        }
        if (Model is { Length: > 200 })
        {
            errors.Add("model", "A model id has at most 200 characters.");
        }
        return errors;
    }
}

/// <summary>What the usage breakdown groups rows by.</summary>
public enum UsageGrouping
{
    Provider,
    Model,
    User,
    PromptVersion,
}
