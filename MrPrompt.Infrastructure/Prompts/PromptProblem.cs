using MrPrompt.Domain.Common;

namespace MrPrompt.Infrastructure.Prompts;

public enum PromptProblemKind
{
    /// <summary>No such prompt, or one the caller may not see: the two look the same from outside.</summary>
    NotFound,

    /// <summary>The caller may read the prompt but not change it.</summary>
    Forbidden,

    Invalid,
}

/// <summary>Why a prompt action did not happen: a sentence for the page, and per-field messages for a form.</summary>
public sealed record PromptProblem(PromptProblemKind Kind, string Message, FieldErrors? Fields = null)
{
    public static PromptProblem NotFound() => new(PromptProblemKind.NotFound, "This prompt was not found.");

    public static PromptProblem Forbidden() => new(PromptProblemKind.Forbidden, "This prompt belongs to someone else. Duplicate it to make your own changes.");

    public static PromptProblem Invalid(string message) => new(PromptProblemKind.Invalid, message);

    public static PromptProblem Invalid(FieldErrors fields) =>
        new(PromptProblemKind.Invalid, fields.ByField.Values.SelectMany(m => m).FirstOrDefault() ?? "Check the highlighted fields.", fields);
}

/// <summary>A value, or the problem that prevented it.</summary>
public readonly record struct PromptResult<T>(T? Value, PromptProblem? Problem)
{
    public bool Succeeded => Problem is null;

    public static implicit operator PromptResult<T>(T value) => new(value, null);

    public static implicit operator PromptResult<T>(PromptProblem problem) => new(default, problem);
}
