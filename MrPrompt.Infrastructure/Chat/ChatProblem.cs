namespace MrPrompt.Infrastructure.Chat;

public enum ChatProblemKind
{
    NotFound,
    Invalid,

    /// <summary>An answer is still being written where a new one would go.</summary>
    Busy,

    /// <summary>The user's allowance of concurrent answers is used up.</summary>
    Limited,

    /// <summary>Too many sends or runs in the last minute.</summary>
    TooFast,

    /// <summary>This server is shutting down and takes no new work.</summary>
    Restarting,
}

/// <summary>Why a chat action did not happen, in a sentence the page can show as it is.</summary>
public sealed record ChatProblem(ChatProblemKind Kind, string Message)
{
    public static ChatProblem NotFound() => new(ChatProblemKind.NotFound, "This chat was not found.");

    public static ChatProblem Invalid(string message) => new(ChatProblemKind.Invalid, message);

    public static ChatProblem Busy() =>
        new(ChatProblemKind.Busy, "An answer is still being written in this chat. Stop it or wait for it to finish.");

    public static ChatProblem TooFast(int perMinute, TimeSpan wait) =>
        new(ChatProblemKind.TooFast, $"You have sent {perMinute} messages or runs in the last minute. Wait {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} s, then send again.");

    public static ChatProblem Limited(int max) =>
        new(ChatProblemKind.Limited, $"You already have {max} answers waiting or being written (Jobs__MaxOpenPerUser). Wait for one to finish, then send again.");

    public static ChatProblem TooManyQuestions(int max) =>
        new(ChatProblemKind.Limited, $"This chat has had its {max} questions (Jobs__MaxQuestionsPerSession). Start a new chat to ask more.");

    public static ChatProblem Restarting() =>
        new(ChatProblemKind.Restarting, "The server is restarting. Send again in a moment.");
}

/// <summary>A value, or the problem that prevented it.</summary>
public readonly record struct ChatResult<T>(T? Value, ChatProblem? Problem)
{
    public bool Succeeded => Problem is null;

    public static implicit operator ChatResult<T>(T value) => new(value, null);

    public static implicit operator ChatResult<T>(ChatProblem problem) => new(default, problem);
}

/// <summary>The messages one send created: the user's (absent on regenerate), the answer being written and the job writing it.</summary>
public sealed record Exchange(Guid SessionId, Guid? UserMessageId, Guid AssistantMessageId, Guid JobId);
