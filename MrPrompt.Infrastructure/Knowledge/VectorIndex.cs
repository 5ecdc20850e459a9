using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Knowledge;

/// <summary>
/// Exact cosine search over a collection's chunk vectors, held in this instance's memory as one flat array per
/// collection (docs/decisions/0011: no pgvector on the embedded Postgres 15). A collection's vectors are loaded on
/// first search and again whenever its <c>content_version</c> or model has changed since, whichever instance changed
/// it. Only passages of documents that are ready are searched. The least recently searched collections are let go past
/// <see cref="KnowledgeOptions.MaxCachedMegabytes"/>.
/// </summary>
public sealed class VectorIndex(IDbContextFactory<AppDbContext> contexts, IOptions<KnowledgeOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, Lazy<Task<CollectionVectors>>> _collections = new();

    /// <summary>One collection's vectors at one version: row-major, unit length, in <see cref="Ids"/> order.</summary>
    public sealed class CollectionVectors(long version, string model, Guid[] ids, float[] matrix, int dimensions,
        IReadOnlyDictionary<string, int>? wordPassages = null)
    {
        /// <summary>
        /// In how many passages each word (an <c>english</c> lexeme) stands, as of <see cref="Version"/>: full-text search
        /// leaves out the words too common to tell passages apart without asking the database.
        /// </summary>
        public IReadOnlyDictionary<string, int> WordPassages { get; } = wordPassages ?? new Dictionary<string, int>();

        public long Version { get; } = version;
        public string Model { get; } = model;
        public Guid[] Ids { get; } = ids;
        public float[] Matrix { get; } = matrix;
        public int Dimensions { get; } = dimensions;
        public long LastUsed { get; set; }

        public long Bytes => ((long)Matrix.Length * sizeof(float)) + ((long)Ids.Length * 16);

        /// <summary>The <paramref name="count"/> chunks most similar to <paramref name="query"/> (unit length), best first.</summary>
        public IReadOnlyList<(Guid Id, float Score)> Nearest(ReadOnlySpan<float> query, int count)
        {
            if (Ids.Length == 0 || query.Length != Dimensions)
            {
                return [];
            }
            // A min-heap of the best so far: n log k, and no array of every score to sort.
            var best = new PriorityQueue<int, float>(count + 1);
            var matrix = Matrix.AsSpan();
            for (var row = 0; row < Ids.Length; row++)
            {
                var score = TensorPrimitives.Dot(matrix.Slice(row * Dimensions, Dimensions), query);
                if (best.Count < count)
                {
                    best.Enqueue(row, score);
                }
                else if (best.TryPeek(out _, out var worst) && score > worst)
                {
                    best.DequeueEnqueue(row, score);
                }
            }
            var result = new List<(Guid, float)>(best.Count);
            while (best.TryDequeue(out var row, out var score))
            {
                result.Add((Ids[row], score));
            }
            result.Reverse();
            return result;
        }
    }

    /// <summary>The vectors of <paramref name="collectionId"/> as of <paramref name="version"/> with <paramref name="model"/>.</summary>
    public async Task<CollectionVectors> GetAsync(Guid collectionId, long version, string model, CancellationToken cancellationToken)
    {
        for (var reloaded = false; ; reloaded = true)
        {
            var entry = _collections.GetOrAdd(collectionId, id => new Lazy<Task<CollectionVectors>>(() => LoadAsync(id, model)));
            CollectionVectors vectors;
            try
            {
                vectors = await entry.Value.WaitAsync(cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _collections.TryRemove(new KeyValuePair<Guid, Lazy<Task<CollectionVectors>>>(collectionId, entry));
                throw;
            }
            // A load started after the caller read its version is as new as the database has: also when the collection
            // was deleted meanwhile (version 0, no vectors), which no reload would ever make newer.
            if (vectors.Version >= version && vectors.Model == model)
            {
                vectors.LastUsed = clock.GetTimestamp();
                return vectors;
            }
            if (reloaded)
            {
                // Another search holds the entry with another model (the collection's model changed between them): this
                // one gets its own, uncached.
                return vectors.Model == model ? vectors : await LoadAsync(collectionId, model);
            }
            // Stale: drop it (unless someone already replaced it) and load again, once.
            _collections.TryRemove(new KeyValuePair<Guid, Lazy<Task<CollectionVectors>>>(collectionId, entry));
        }
    }

    private sealed record WordCount(string Word, int Passages);

    /// <summary>Forgets a collection (deleted, or changed here: the next search loads it again).</summary>
    public void Forget(Guid collectionId) => _collections.TryRemove(collectionId, out _);

    private async Task<CollectionVectors> LoadAsync(Guid collectionId, string model)
    {
        using var system = DataScope.AsSystem("loading a knowledge collection's vectors");
        await using var db = await contexts.CreateDbContextAsync();
        // The version first: rows written after it are at most newer than it says, never older.
        var version = await db.KnowledgeCollections.Where(c => c.Id == collectionId).Select(c => c.ContentVersion).SingleOrDefaultAsync();
        var rows = db.KnowledgeChunks.AsNoTracking().Where(c => c.CollectionId == collectionId && c.Model == model
            && db.KnowledgeDocuments.Any(d => d.Id == c.DocumentId && d.Status == DocumentStatus.Ready));
        // Sized once: at a million chunks a growing list would copy gigabytes on its way up.
        var expected = await rows.CountAsync();
        var ids = new Guid[expected];
        float[] matrix = [];
        var dimensions = 0;
        var count = 0;
        await foreach (var row in rows.OrderBy(c => c.Id).Select(c => new { c.Id, c.Embedding }).AsAsyncEnumerable())
        {
            if (dimensions == 0)
            {
                dimensions = row.Embedding.Length;
                matrix = new float[(long)expected * dimensions];
            }
            if (row.Embedding.Length != dimensions)
            {
                continue; // a vector of another size cannot be compared; its document re-ingests with the model
            }
            if (count == ids.Length)
            {
                // Rows added since the count: room for them too.
                Array.Resize(ref ids, Math.Max(16, count * 2));
                Array.Resize(ref matrix, ids.Length * dimensions);
            }
            ids[count] = row.Id;
            row.Embedding.CopyTo(matrix, count * dimensions);
            count++;
        }
        if (count < ids.Length)
        {
            Array.Resize(ref ids, count);
            Array.Resize(ref matrix, count * dimensions);
        }
        // ts_stat reads every passage's tsvector once; the word counts then serve every search until the next change.
        var words = (await db.Database.SqlQuery<WordCount>(
                $"SELECT word AS \"Word\", ndoc AS \"Passages\" FROM ts_stat({$"SELECT search FROM vector_documents WHERE collection_id = '{collectionId}'"})")
            .ToListAsync()).ToDictionary(w => w.Word, w => w.Passages, StringComparer.Ordinal);
        var vectors = new CollectionVectors(version, model, ids, matrix, dimensions, words) { LastUsed = clock.GetTimestamp() };
        Trim(collectionId, vectors.Bytes);
        return vectors;
    }

    /// <summary>Lets go of the least recently searched collections while the total, the new one's included, is past the limit.</summary>
    private void Trim(Guid keep, long keptBytes)
    {
        var limit = options.Value.MaxCachedMegabytes * 1024L * 1024L;
        var loaded = _collections.Where(e => e.Key != keep && e.Value.IsValueCreated && e.Value.Value.IsCompletedSuccessfully)
            .Select(e => (e.Key, Vectors: e.Value.Value.Result)).OrderBy(e => e.Vectors.LastUsed).ToList();
        var total = keptBytes + loaded.Sum(e => e.Vectors.Bytes);
        foreach (var (key, vectors) in loaded)
        {
            if (total <= limit)
            {
                break;
            }
            _collections.TryRemove(key, out _);
            total -= vectors.Bytes;
        }
    }
}
