using System.Text.Json;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Infrastructure.Knowledge;

namespace MrPrompt.Infrastructure.Prompts.Loaders;

/// <summary>
/// <c>knowledge</c>: the passages of a knowledge collection that best match the question, for a prompt to cite. The
/// collection is the value of <c>knowledge_collection</c> (an id, or the name of one of the caller's collections or a
/// shared one); the question is <c>knowledge_query</c>, else <c>question</c>, <c>message</c> or <c>input</c>. Gives
/// <c>{{knowledge.passages}}</c> (numbered <c>[n] title › heading</c> blocks), <c>{{knowledge.titles}}</c> and
/// <c>{{knowledge.count}}</c>; empty when there is no question yet (a page showing the loaded data before anything is typed).
/// </summary>
public sealed class KnowledgeLoader(KnowledgeService collections, KnowledgeSearch search, IOptions<KnowledgeOptions> options) : IDataLoader
{
    public const string CollectionVariable = "knowledge_collection";
    private static readonly string[] QueryVariables = ["knowledge_query", "question", "message", "input"];

    public string Key => "knowledge";
    public string Variable => "knowledge";
    public string Description => "Passages of a knowledge collection (knowledge_collection: its name or id) that answer the question (knowledge_query, or question).";

    public Task<IReadOnlyDictionary<string, object?>> LoadAsync(Guid userId, CancellationToken cancellationToken) =>
        Task.FromResult(Empty("Give knowledge_collection and a question to search."));

    public async Task<IReadOnlyDictionary<string, object?>> LoadAsync(Guid userId, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken)
    {
        var collection = Text(values.GetValueOrDefault(CollectionVariable));
        var query = QueryVariables.Select(v => Text(values.GetValueOrDefault(v))).FirstOrDefault(q => !string.IsNullOrWhiteSpace(q));
        if (string.IsNullOrWhiteSpace(collection) || query is null)
        {
            return Empty("Give knowledge_collection and a question to search.");
        }
        var visible = await collections.ListCollectionsAsync(userId, cancellationToken);
        var chosen = Guid.TryParse(collection, out var id) ? visible.FirstOrDefault(c => c.Id == id)
            : visible.FirstOrDefault(c => string.Equals(c.Name, collection.Trim(), StringComparison.OrdinalIgnoreCase));
        if (chosen is null)
        {
            return Empty($"No knowledge collection '{collection}' of yours (or shared) was found.");
        }
        var (result, error) = await search.SearchAsync(new SearchRequest(userId, [chosen.Id], KnowledgeSearch.QueryOf(query), options.Value.PassagesPerAnswer), cancellationToken);
        if (result is null)
        {
            return Empty(error!.Message);
        }
        var citations = KnowledgeSearch.Citations(result);
        return new Dictionary<string, object?>
        {
            ["passages"] = CitationPrompt.Passages(citations),
            ["titles"] = citations.Select(c => c.DocumentTitle).Distinct().ToList(),
            ["count"] = citations.Count,
            ["note"] = result.Warning,
        };
    }

    private static IReadOnlyDictionary<string, object?> Empty(string note) => new Dictionary<string, object?>
    {
        ["passages"] = "",
        ["titles"] = new List<string>(),
        ["count"] = 0,
        ["note"] = note,
    };

    /// <summary>A value as the template engine would write it, for the ones a search reads.</summary>
    private static string? Text(object? value) => value switch
    {
        null => null,
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } json => json.GetString(),
        JsonElement json => json.GetRawText(),
        _ => value.ToString(),
    };
}
