using MrPrompt.Domain.Prompts;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Prompts.Loaders;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>
/// Which prompt and which of its versions: a stored prompt by id, a built-in one by key, or any by
/// <see cref="Key"/> (the caller's own prompt with that key, else the built-in one); then a version
/// number or a label.
/// </summary>
public sealed record PromptSelector(Guid? PromptId = null, string? BuiltInKey = null, int? Version = null, string? Label = null, string? Key = null);

/// <summary>
/// Turns a prompt into the messages of a call: picks the version (asked for by number or label,
/// else production, else the latest), runs its data loaders for the caller, and renders both
/// templates. Chat, the playground and the API all prepare prompts here.
/// </summary>
public sealed class PromptRunner(PromptLibrary library, DataLoaderRegistry loaders, IOptions<PromptOptions> options)
{
    public async Task<PromptResult<(PromptView Prompt, PromptVersion Version)>> ResolveAsync(
        Guid userId, PromptSelector selector, CancellationToken cancellationToken = default)
    {
        PromptView prompt;
        if (selector.Key is { } anyKey)
        {
            // Another user's prompt is never found by key, even a public one: keys are unique per owner only.
            var ownId = await library.FindOwnIdAsync(userId, anyKey, cancellationToken);
            return ownId is { } found
                ? await ResolveAsync(userId, selector with { Key = null, PromptId = found }, cancellationToken)
                : await ResolveAsync(userId, selector with { Key = null, BuiltInKey = anyKey }, cancellationToken);
        }
        if (selector.PromptId is { } id)
        {
            var found = await library.GetAsync(userId, id, cancellationToken);
            if (found.Value is null)
            {
                return found.Problem!;
            }
            prompt = found.Value;
        }
        else if (selector.BuiltInKey is { } key && PromptLibrary.GetBuiltIn(key) is { } builtIn)
        {
            prompt = builtIn;
        }
        else
        {
            return PromptProblem.NotFound();
        }

        if (selector.Version is { } number)
        {
            return prompt.Version(number) is { } version ? (prompt, version) : PromptProblem.Invalid($"{prompt.Key} has no version {number}.");
        }
        if (!string.IsNullOrWhiteSpace(selector.Label))
        {
            var label = selector.Label.Trim().ToLowerInvariant();
            return prompt.Labelled(label) is { } version ? (prompt, version) : PromptProblem.Invalid($"{prompt.Key} has no label '{label}'.");
        }
        return (prompt, prompt.Default);
    }

    /// <summary>What the version's data loaders, and any more the caller asked for, give for the caller, each under its variable name.</summary>
    public Task<Dictionary<string, object?>> LoadDataAsync(
        Guid userId, PromptVersion version, CancellationToken cancellationToken = default, IEnumerable<string>? extraLoaders = null,
        IReadOnlyDictionary<string, object?>? values = null) =>
        loaders.LoadAsync(version.DataLoaders.Union(extraLoaders ?? [], StringComparer.Ordinal), userId, cancellationToken, values);

    /// <summary>The loader keys in <paramref name="requested"/> that do not exist.</summary>
    public IReadOnlyList<string> UnknownLoaders(IEnumerable<string> requested) =>
        requested.Where(key => loaders.Find(key) is null).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Renders the system prompt and the user template with the loaded data and the caller's
    /// variables (variables win; docs/contracts.md, "Data loaders"). Every variable still without a value is named; text
    /// that would pass <see cref="PromptOptions.MaxRenderedLength"/> is refused before it is built.
    /// </summary>
    public PromptResult<PreparedPrompt> Render(
        PromptView prompt, PromptVersion version, IReadOnlyDictionary<string, object?> loadedData, IReadOnlyDictionary<string, object?> variables)
    {
        var maxLength = options.Value.MaxRenderedLength;
        var values = TemplateValues.Merge(loadedData, variables);
        var system = PromptTemplate.Parse(version.SystemPrompt).Template;
        var user = PromptTemplate.Parse(version.UserTemplate).Template;
        if (system is null || user is null)
        {
            // Saved versions were validated; this only guards against rows written some other way.
            return PromptProblem.Invalid($"Version {version.Number} of {prompt.Key} has a template error. Open it in the library to fix it.");
        }
        var systemText = system.Render(values, maxLength);
        var userText = user.Render(values, maxLength - (systemText.Text?.Length ?? 0));
        if (systemText.OverLimit is not null || userText.OverLimit is not null)
        {
            return PromptProblem.Invalid(new TemplateRendering(null, [], maxLength).Problem!);
        }
        var missing = systemText.MissingVariables.Concat(userText.MissingVariables).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            return PromptProblem.Invalid(new TemplateRendering(null, missing).Problem!);
        }
        return new PreparedPrompt(prompt, version, systemText.Text!, userText.Text!, loadedData);
    }

    /// <summary><see cref="ResolveAsync"/>, <see cref="LoadDataAsync"/> and <see cref="Render"/> in one go.</summary>
    public async Task<PromptResult<PreparedPrompt>> PrepareAsync(
        Guid userId, PromptSelector selector, IReadOnlyDictionary<string, object?> variables, CancellationToken cancellationToken = default,
        IReadOnlyCollection<string>? extraLoaders = null)
    {
        if (UnknownLoaders(extraLoaders ?? []) is { Count: > 0 } unknown)
        {
            return PromptProblem.Invalid($"Unknown data loader: {string.Join(", ", unknown)}. Known: {string.Join(", ", loaders.Keys.Order(StringComparer.Ordinal))}.");
        }
        var resolved = await ResolveAsync(userId, selector, cancellationToken);
        if (resolved.Problem is { } problem)
        {
            return problem;
        }
        var (prompt, version) = resolved.Value;
        var data = await LoadDataAsync(userId, version, cancellationToken, extraLoaders, variables);
        return Render(prompt, version, data, variables);
    }
}
