namespace MrPrompt.Domain.Common;

/// <summary>
/// An entity whose creation and last change are stamped by persistence, never by callers,
/// so every row carries trustworthy times from one clock.
/// </summary>
public interface IAuditable
{
    DateTimeOffset CreatedAt { get; set; }
    DateTimeOffset UpdatedAt { get; set; }
}
