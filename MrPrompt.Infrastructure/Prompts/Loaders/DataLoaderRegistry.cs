namespace MrPrompt.Infrastructure.Prompts.Loaders;

/// <summary>Every registered <see cref="IDataLoader"/> by key; a new loader is one class registered in DI.</summary>
public sealed class DataLoaderRegistry(IEnumerable<IDataLoader> loaders)
{
    private readonly Dictionary<string, IDataLoader> _byKey = loaders.ToDictionary(l => l.Key, StringComparer.Ordinal);

    public IReadOnlySet<string> Keys => _byKey.Keys.ToHashSet(StringComparer.Ordinal);

    public IEnumerable<IDataLoader> All => _byKey.Values.OrderBy(l => l.Key, StringComparer.Ordinal);

    public IDataLoader? Find(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>
    /// Runs the named loaders for <paramref name="userId"/> in parallel; each result sits under its
    /// variable name. Unknown keys were refused when the prompt was saved, so they are skipped here.
    /// </summary>
    public async Task<Dictionary<string, object?>> LoadAsync(IEnumerable<string> keys, Guid userId, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, object?>? values = null)
    {
        var selected = keys.Distinct(StringComparer.Ordinal).Select(Find).OfType<IDataLoader>().ToList();
        var results = await Task.WhenAll(selected.Select(l => l.LoadAsync(userId, values ?? new Dictionary<string, object?>(), cancellationToken)));
        var merged = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (var i = 0; i < selected.Count; i++)
        {
            merged[selected[i].Variable] = results[i];
        }
        return merged;
    }
}
