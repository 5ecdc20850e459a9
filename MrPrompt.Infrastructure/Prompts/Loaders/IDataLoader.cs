namespace MrPrompt.Infrastructure.Prompts.Loaders;

/// <summary>
/// A named source of the calling user's data for prompt variables (docs/contracts.md, "Data loaders"). Its
/// result goes under <see cref="Variable"/>, so a template reads <c>{{user.displayName}}</c>.
/// Implementations get only the caller's id and must never read anyone else's rows.
/// </summary>
public interface IDataLoader
{
    /// <summary>The key a prompt lists, such as <c>user-profile</c>.</summary>
    string Key { get; }

    /// <summary>The top-level variable the data appears under.</summary>
    string Variable { get; }

    string Description { get; }

    Task<IReadOnlyDictionary<string, object?>> LoadAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="LoadAsync(Guid, CancellationToken)"/>, knowing the values the caller gave the template (a loader that
    /// searches needs the question). Pages that show the loaded data before anything is typed pass none.
    /// </summary>
    Task<IReadOnlyDictionary<string, object?>> LoadAsync(Guid userId, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken) =>
        LoadAsync(userId, cancellationToken);
}
