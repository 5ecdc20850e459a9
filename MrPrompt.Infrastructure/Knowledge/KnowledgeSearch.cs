using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway.Embeddings;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Knowledge;

/// <summary>One passage found, with where it ranked in each search (null: that search did not find it).</summary>
public sealed record SearchHit(Guid ChunkId, Guid DocumentId, Guid CollectionId, string DocumentTitle, string? Heading, int ChunkIndex,
    int StartOffset, string Content, double Score, int? VectorRank, int? TextRank);

/// <param name="Warning">Set when one search could not run (the embedding model failed): the hits are full-text only.</param>
public sealed record SearchResult(IReadOnlyList<SearchHit> Hits, TimeSpan Took, string? Warning);

/// <summary>Who searches, where, for what, and where the query's embedding call comes from (its usage row says).</summary>
public sealed record SearchRequest(Guid UserId, IReadOnlyList<Guid> CollectionIds, string Query, int TopK)
{
    public UsageSource Source { get; init; } = UsageSource.Ui;
    public Guid? ApiKeyId { get; init; }

    /// <summary>The models ("provider/model") an API key limits the caller to; the query is embedded only with one of them.</summary>
    public IReadOnlySet<string>? AllowedModels { get; init; }

    /// <summary>Search the collections that are still there (a chat's list may name one deleted since) rather than refuse.</summary>
    public bool SkipMissing { get; init; }
}

/// <summary>
/// Hybrid retrieval: exact cosine similarity over the collections' vectors (<see cref="VectorIndex"/>) and Postgres
/// full-text search over the same passages, fused by reciprocal rank (<see cref="RankFusion"/>). Vectors find a
/// paraphrase that shares no word with the passage; full-text finds a rare exact term (a part number, a name) that a
/// small model's vector blurs. Only the caller's own collections and shared ones are searched.
/// </summary>
public sealed partial class KnowledgeSearch(IDbContextFactory<AppDbContext> contexts, EmbeddingGateway gateway, VectorIndex vectors, TimeProvider clock)
{
    public const int MaxTopK = 50;
    public const int MaxQueryCharacters = 4_000;
    private const int MaxQueryTerms = 32;

    public async Task<(SearchResult? Result, KnowledgeError? Error)> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(request.Query) || request.Query.Length > MaxQueryCharacters)
        {
            return (null, new KnowledgeError(KnowledgeProblem.Invalid, $"Write a query of 1 to {MaxQueryCharacters} characters."));
        }
        if (request.TopK is < 1 or > MaxTopK)
        {
            return (null, new KnowledgeError(KnowledgeProblem.Invalid, $"top_k is 1 to {MaxTopK}."));
        }
        var started = clock.GetTimestamp();
        var ids = request.CollectionIds.Distinct().ToArray();
        List<(Guid Id, long Version, string Model)> collections;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            collections = (await db.KnowledgeCollections.AsNoTracking()
                .Where(c => ids.Contains(c.Id) && (c.OwnerId == request.UserId || c.Visibility == KnowledgeVisibility.Shared))
                .Select(c => new { c.Id, c.ContentVersion, c.EmbeddingModel })
                .ToListAsync(cancellationToken)).Select(c => (c.Id, c.ContentVersion, c.EmbeddingModel)).ToList();
        }
        if (request.SkipMissing && collections.Count == 0)
        {
            return (new SearchResult([], clock.GetElapsedTime(started), null), null);
        }
        if ((collections.Count != ids.Length && !request.SkipMissing) || ids.Length == 0)
        {
            return (null, new KnowledgeError(KnowledgeProblem.NotFound, "There is no such collection, or it is not yours to search."));
        }

        var pool = Math.Max(request.TopK * 4, 40);
        // The two searches share nothing until they are fused: Postgres ranks words while this process embeds the query and scans.
        var textRanking = TextRankingAsync(collections, request.Query, pool, cancellationToken);
        var (byVector, warning) = await VectorRankingAsync(request, collections, pool, cancellationToken);
        var byText = await textRanking;
        var fused = RankFusion.Fuse<Guid>([byVector, byText]).Take(request.TopK).ToList();
        var hits = await HitsAsync(fused, byVector, byText, cancellationToken);
        return (new SearchResult(hits, clock.GetElapsedTime(started), warning), null);
    }

    private async Task<(IReadOnlyList<Guid> Ranking, string? Warning)> VectorRankingAsync(
        SearchRequest request, List<(Guid Id, long Version, string Model)> collections, int pool, CancellationToken cancellationToken)
    {
        var scored = new List<(Guid Id, float Score)>();
        string? warning = null;
        foreach (var group in collections.GroupBy(c => c.Model))
        {
            if (!ModelRef.TryParse(group.Key, out var model))
            {
                continue;
            }
            var embedded = await gateway.EmbedAsync(new EmbeddingRequest
            {
                UserId = request.UserId,
                Model = model,
                Inputs = [request.Query],
                Source = request.Source,
                ApiKeyId = request.ApiKeyId,
                AllowedModels = request.AllowedModels,
                RequestCounted = true,
            }, cancellationToken);
            if (embedded.Result is not { } result)
            {
                warning = $"Searched by words only: {embedded.Error!.Message}";
                continue;
            }
            var query = Normalized(result.Vectors[0].Span);
            foreach (var collection in group)
            {
                var index = await vectors.GetAsync(collection.Id, collection.Version, collection.Model, cancellationToken);
                scored.AddRange(index.Nearest(query, pool));
            }
        }
        return (scored.OrderByDescending(s => s.Score).Take(pool).Select(s => s.Id).ToList(), warning);
    }

    /// <summary>
    /// Passages holding any of the query's selective words, ranked by how many and how close together (a question's
    /// wording rarely appears whole). A word found in more than <see cref="CommonWordPassages"/> passages (counted when
    /// the collection's vectors load) says little about any one of them and would make Postgres rank most of the
    /// collection, so it is left out, as a stop word is; when every word is that common, a bounded sample is ranked.
    /// </summary>
    private async Task<IReadOnlyList<Guid>> TextRankingAsync(List<(Guid Id, long Version, string Model)> collections, string query, int pool, CancellationToken cancellationToken)
    {
        var terms = Word().Matches(query).Select(m => m.Value.ToLowerInvariant()).Distinct().Take(MaxQueryTerms).ToArray();
        if (terms.Length == 0)
        {
            return [];
        }
        using var system = DataScope.AsSystem("full-text search of collections the caller may read");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The words as the index holds them (stemmed, stop words gone): no table is read for this.
        var lexemes = (await db.Database.SqlQuery<string>($"""
            SELECT DISTINCT lexeme AS "Value" FROM unnest({terms}) AS t, unnest(to_tsvector('english', t)) AS v
            """).ToListAsync(cancellationToken)).Where(l => !string.IsNullOrEmpty(l)).ToList();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var collection in collections)
        {
            var words = (await vectors.GetAsync(collection.Id, collection.Version, collection.Model, cancellationToken)).WordPassages;
            foreach (var lexeme in lexemes)
            {
                counts[lexeme] = counts.GetValueOrDefault(lexeme) + words.GetValueOrDefault(lexeme);
            }
        }
        var found = lexemes.Where(l => counts.GetValueOrDefault(l) > 0).ToList();
        if (found.Count == 0)
        {
            return [];
        }
        var selective = found.Where(l => counts[l] <= CommonWordPassages).ToList();
        // Lexemes are letters and digits only (they come from such words), so they are safe as tsquery operands.
        var tsQuery = string.Join(" | ", selective.Count > 0 ? selective : found);
        var sample = selective.Count > 0 ? int.MaxValue : CommonWordPassages;
        var ids = collections.Select(c => c.Id).ToArray();
        return await db.Database.SqlQuery<Guid>($"""
            SELECT id AS "Value" FROM (
                SELECT id, search FROM vector_documents
                WHERE collection_id = ANY({ids}) AND search @@ to_tsquery('simple', {tsQuery})
                  AND EXISTS (SELECT 1 FROM knowledge_documents d WHERE d.id = vector_documents.document_id AND d.status = 'Ready')
                LIMIT {sample}) matched
            ORDER BY ts_rank_cd(search, to_tsquery('simple', {tsQuery})) DESC, id
            LIMIT {pool}
            """).ToListAsync(cancellationToken);
    }

    /// <summary>Passages a word may be in and still count as telling them apart.</summary>
    internal const int CommonWordPassages = 200;

    private async Task<IReadOnlyList<SearchHit>> HitsAsync(List<(Guid Item, double Score)> fused, IReadOnlyList<Guid> byVector, IReadOnlyList<Guid> byText, CancellationToken cancellationToken)
    {
        if (fused.Count == 0)
        {
            return [];
        }
        var ids = fused.Select(f => f.Item).ToArray();
        using var system = DataScope.AsSystem("reading passages the caller may read");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.KnowledgeChunks.AsNoTracking().Where(c => ids.Contains(c.Id))
            .Join(db.KnowledgeDocuments, c => c.DocumentId, d => d.Id, (c, d) => new { c.Id, c.DocumentId, c.CollectionId, d.Title, c.Heading, c.ChunkIndex, c.StartOffset, c.Content })
            .ToDictionaryAsync(r => r.Id, cancellationToken);
        return fused.Where(f => rows.ContainsKey(f.Item)).Select(f =>
        {
            var row = rows[f.Item];
            var vectorRank = IndexOf(byVector, f.Item);
            var textRank = IndexOf(byText, f.Item);
            return new SearchHit(row.Id, row.DocumentId, row.CollectionId, row.Title, row.Heading, row.ChunkIndex, row.StartOffset, row.Content,
                Math.Round(f.Score, 6), vectorRank, textRank);
        }).ToList();
    }

    private static int? IndexOf(IReadOnlyList<Guid> ranking, Guid id)
    {
        for (var i = 0; i < ranking.Count; i++)
        {
            if (ranking[i] == id)
            {
                return i + 1;
            }
        }
        return null;
    }

    /// <summary>A question cut to what a search reads (its start), so a long chat message still finds its sources.</summary>
    public static string QueryOf(string question) =>
        question.Length <= MaxQueryCharacters ? question : question[..(char.IsHighSurrogate(question[MaxQueryCharacters - 1]) ? MaxQueryCharacters - 1 : MaxQueryCharacters)];

    /// <summary>The hits as numbered citations, [1] first.</summary>
    public static IReadOnlyList<Citation> Citations(SearchResult result) =>
        result.Hits.Select((h, i) => new Citation(i + 1, h.ChunkId, h.DocumentId, h.CollectionId, h.DocumentTitle, h.Heading, h.ChunkIndex, h.Content, h.Score)).ToList();

    /// <summary><paramref name="vector"/> at unit length (a provider's vectors need not be), so a dot product is the cosine.</summary>
    public static float[] Normalized(ReadOnlySpan<float> vector)
    {
        var result = vector.ToArray();
        var norm = TensorPrimitives.Norm(result);
        if (norm > 0)
        {
            TensorPrimitives.Divide(result, norm, result);
        }
        return result;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();
}
