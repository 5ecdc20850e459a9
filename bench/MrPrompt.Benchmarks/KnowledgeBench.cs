using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Infrastructure.Gateway.Embeddings;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Security;
using Npgsql;
using NpgsqlTypes;

namespace MrPrompt.Benchmarks;

/// <summary>
/// The knowledge feature on this machine (bench/knowledge.sh): the offline model's throughput, a 1,000-page ingestion
/// end to end through the queue, hybrid search latency and memory at 10k / 100k / 1M passages, and recall@5 on
/// questions about this repository's own documents. Each part on a scratch embedded cluster.
/// </summary>
internal static class KnowledgeBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var part = args.FirstOrDefault() ?? "all";
        var sizes = args.Length > 1 ? args[1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [10_000, 100_000, 1_000_000];
        if (part is "embed" or "all")
        {
            await EmbedThroughputAsync();
        }
        if (part is "ingest" or "all")
        {
            await WithServicesAsync(IngestPagesAsync);
        }
        if (part is "recall" or "all")
        {
            await WithServicesAsync(RecallAsync);
        }
        if (part is "search" or "all")
        {
            await WithServicesAsync((services, user) => SearchLatencyAsync(services, user, sizes));
        }
        return 0;
    }

    private static async Task EmbedThroughputAsync()
    {
        var model = new LocalEmbeddingGenerator();
        var passage = string.Join(' ', Enumerable.Repeat("The gateway writes a usage row for every attempt, with tokens, latency and cost, and the admin console shows them.", 9))[..1000];
        var sentence = "How do I reset my password after the link expired?";
        await model.GenerateAsync(["warm up"]);
        foreach (var (label, text, count) in new[] { ("passages of 1,000 characters (the default chunk)", passage, 256), ("sentences of 50 characters (search queries)", sentence, 1024) })
        {
            var inputs = Enumerable.Range(0, count).Select(i => $"{i} {text}").ToArray();
            var clock = Stopwatch.StartNew();
            foreach (var batch in inputs.Chunk(64))
            {
                await model.GenerateAsync(batch);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"offline model, {label}: {count / clock.Elapsed.TotalSeconds:0.0} per second ({count} in batches of 64)"));
        }
        var single = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
        {
            await model.GenerateAsync([$"{i} {sentence}"]);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"offline model, one query: {single.Elapsed.TotalMilliseconds / 50:0.0} ms"));
    }

    /// <summary>A 1,000-page document (about 3,000 characters a page, as a printed page) ingested by the real job worker.</summary>
    private static async Task IngestPagesAsync(ServiceProvider services, Guid user)
    {
        var knowledge = services.GetRequiredService<KnowledgeService>();
        var (collection, _) = await knowledge.CreateCollectionAsync(user, "Pages", KnowledgeVisibility.Private, false, null);
        var text = new StringBuilder();
        var random = new Random(7);
        for (var page = 1; page <= 1_000; page++)
        {
            text.Append("## Page ").Append(page).Append("\n\n");
            for (var paragraph = 0; paragraph < 5; paragraph++)
            {
                text.Append(Sentence(random, 100)).Append("\n\n");
            }
        }
        var content = Encoding.UTF8.GetBytes(text.ToString());
        var hosted = services.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }
        var clock = Stopwatch.StartNew();
        var (document, error) = await knowledge.AddDocumentAsync(user, collection!.Id, new NewDocument("Thousand pages", "pages.md", DocumentType.Markdown, content));
        if (document is null)
        {
            throw new InvalidOperationException(error!.Message);
        }
        DocumentView? now;
        do
        {
            await Task.Delay(500);
            now = await knowledge.FindDocumentAsync(user, collection.Id, document.Id);
        }
        while (now!.Status is not (DocumentStatus.Ready or DocumentStatus.Failed));
        var elapsed = clock.Elapsed;
        foreach (var service in Enumerable.Reverse(hosted))
        {
            await service.StopAsync(CancellationToken.None);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingestion of 1,000 pages ({content.Length / 1024.0 / 1024.0:0.0} MB of text): {now.Status}, {now.ChunksTotal} passages in {elapsed.TotalSeconds:0.0} s ({now.ChunksTotal / elapsed.TotalSeconds:0.0} passages/s, {1_000 / elapsed.TotalSeconds:0.0} pages/s)"));
    }

    /// <summary>
    /// Questions about this repository's README, contracts and decision records, each with a phrase only its answer's
    /// passage holds: recall@5 of hybrid search, and of each search alone.
    /// </summary>
    private static async Task RecallAsync(ServiceProvider services, Guid user)
    {
        var knowledge = services.GetRequiredService<KnowledgeService>();
        var (collection, _) = await knowledge.CreateCollectionAsync(user, "This repository", KnowledgeVisibility.Private, false, null);
        var root = FindRepositoryRoot();
        var files = new[] { "README.md", "docs/contracts.md" }.Concat(Directory.GetFiles(Path.Combine(root, "docs", "decisions"), "*.md").Select(f => Path.GetRelativePath(root, f)));
        var hosted = services.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }
        var documents = new List<Guid>();
        foreach (var file in files)
        {
            var (document, error) = await knowledge.AddDocumentAsync(user, collection!.Id, new NewDocument(file, file, DocumentType.Markdown, await File.ReadAllBytesAsync(Path.Combine(root, file))));
            documents.Add(document?.Id ?? throw new InvalidOperationException(error!.Message));
        }
        while ((await knowledge.ListDocumentsAsync(user, collection!.Id))!.Any(d => d.Status is not (DocumentStatus.Ready or DocumentStatus.Failed)))
        {
            await Task.Delay(500);
        }
        var search = services.GetRequiredService<KnowledgeSearch>();
        int hybrid = 0, byVector = 0, byText = 0;
        foreach (var (question, answer) in RepositoryQuestions)
        {
            var (result, error) = await search.SearchAsync(new SearchRequest(user, [collection.Id], question, 50));
            var hits = result?.Hits ?? throw new InvalidOperationException(error!.Message);
            bool Holds(SearchHit h) => h.Content.Contains(answer, StringComparison.OrdinalIgnoreCase);
            hybrid += hits.Take(5).Any(Holds) ? 1 : 0;
            byVector += hits.Where(h => h.VectorRank is <= 5).Any(Holds) ? 1 : 0;
            byText += hits.Where(h => h.TextRank is <= 5).Any(Holds) ? 1 : 0;
            if (!hits.Take(5).Any(Holds))
            {
                Console.WriteLine($"  missed: {question}");
            }
        }
        foreach (var service in Enumerable.Reverse(hosted))
        {
            await service.StopAsync(CancellationToken.None);
        }
        var n = RepositoryQuestions.Length;
        var chunks = (await knowledge.ListDocumentsAsync(user, collection.Id))!.Sum(d => d.ChunksTotal);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"recall@5 over {n} questions on {documents.Count} documents ({chunks} passages): hybrid {100.0 * hybrid / n:0}%, vectors alone {100.0 * byVector / n:0}%, full text alone {100.0 * byText / n:0}%"));
    }

    /// <summary>Each question, and a phrase of the passage that answers it (written without looking at the search's results).</summary>
    private static readonly (string Question, string Answer)[] RepositoryQuestions =
    [
        ("Which port does the app serve on by default?", "localhost:5080"),
        ("How do I run the whole test suite?", "bash .ci/test"),
        ("Where are the embedded Postgres files kept?", "MrPrompt.Web/.data/postgres"),
        ("How many attempts does a queued job get before it fails?", "Jobs__MaxAttempts"),
        ("How do I create an API key from the command line?", "create-api-key"),
        ("What happens to an answer when the server restarts while it is being written?", "incomplete"),
        ("How is a personal API key stored?", "hash"),
        ("Which environment variable sets the per-minute request limit?", "CHAT_RATE_LIMIT_PER_MIN"),
        ("How long is the lease of a running job?", "Jobs__LeaseSeconds"),
        ("What does the idempotency key header do when the same request is sent twice?", "Idempotency-Key"),
        ("How are provider keys protected at rest?", "Data Protection"),
        ("Which roles exist in the product?", "Author"),
        ("How does the gateway retry a rate-limited call?", "Retry-After"),
        ("What is kept in the response cache and for how long?", "cache"),
        ("Why is there no message broker for the job queue?", "SKIP LOCKED"),
        ("How do I export the usage log as CSV?", "export.csv"),
        ("What does a prompt template variable with a default look like?", "default:"),
        ("How are labels like production used for prompt versions?", "production"),
        ("How is the monthly budget enforced?", "budget"),
        ("What is sent when an SSE stream is idle?", "keepalive"),
        ("Which frames does the knowledge ingestion stream send?", "embed.status"),
        ("How big can an uploaded knowledge document be?", "Knowledge__MaxDocumentBytes"),
        ("How does search combine vectors and full text?", "reciprocal rank"),
        ("How are usage rows written without slowing calls?", "COPY"),
        ("What is the offline model that needs no key?", "Echo"),
    ];

    private static async Task SearchLatencyAsync(ServiceProvider services, Guid user, int[] sizes)
    {
        var knowledge = services.GetRequiredService<KnowledgeService>();
        var search = services.GetRequiredService<KnowledgeSearch>();
        var vectors = services.GetRequiredService<VectorIndex>();
        var connectionString = services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["ConnectionStrings:Default"]!;
        var random = new Random(11);
        var queries = Enumerable.Range(0, 300).Select(_ => Sentence(random, 6)).ToArray();
        foreach (var size in sizes)
        {
            var (collection, _) = await knowledge.CreateCollectionAsync(user, $"{size} passages", KnowledgeVisibility.Private, false, null);
            var seeding = Stopwatch.StartNew();
            await SeedAsync(connectionString, user, collection!.Id, collection.EmbeddingModel, size, random);
            var seeded = seeding.Elapsed;
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var loading = Stopwatch.StartNew();
            var first = await search.SearchAsync(new SearchRequest(user, [collection.Id], queries[0], 5));
            var firstTook = loading.Elapsed;
            if (first.Result is null)
            {
                throw new InvalidOperationException(first.Error!.Message);
            }
            var held = GC.GetTotalMemory(forceFullCollection: true) - before;
            var timings = new List<double>();
            var scans = new List<double>();
            var embeds = new List<double>();
            var gateway = services.GetRequiredService<EmbeddingGateway>();
            var index = await vectors.GetAsync(collection.Id, 0, collection.EmbeddingModel, CancellationToken.None);
            var probe = KnowledgeSearch.Normalized(Enumerable.Range(0, LocalEmbeddingGenerator.Dimensions).Select(_ => (float)random.NextDouble() - 0.5f).ToArray());
            for (var i = 1; i < 20; i++)
            {
                await search.SearchAsync(new SearchRequest(user, [collection.Id], queries[^i], 5)); // warm-up: JIT, pools, plans
            }
            for (var i = 1; i < queries.Length; i++)
            {
                var clock = Stopwatch.StartNew();
                var (result, error) = await search.SearchAsync(new SearchRequest(user, [collection.Id], queries[i], 5));
                timings.Add(clock.Elapsed.TotalMilliseconds);
                _ = result ?? throw new InvalidOperationException(error!.Message);
                if (result.Warning is { } warning)
                {
                    throw new InvalidOperationException($"A search ran on words only: {warning}");
                }
                var scan = Stopwatch.StartNew();
                index.Nearest(probe, 40);
                scans.Add(scan.Elapsed.TotalMilliseconds);
                var embed = Stopwatch.StartNew();
                await gateway.EmbedAsync(new EmbeddingRequest { UserId = user, Model = EmbeddingCatalog.Local.Ref, Inputs = [queries[i]] });
                embeds.Add(embed.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{size,9:N0} passages: hybrid search p50 {Percentile(timings, 0.5):0.0} ms, p99 {Percentile(timings, 0.99):0.0} ms (vector scan alone p50 {Percentile(scans, 0.5):0.0} ms, p99 {Percentile(scans, 0.99):0.0} ms; embedding the query alone p50 {Percentile(embeds, 0.5):0.0} ms, p99 {Percentile(embeds, 0.99):0.0} ms); vectors held {held / 1024.0 / 1024.0:0} MB; first search (loads the vectors) {firstTook.TotalSeconds:0.0} s; seeding {seeded.TotalSeconds:0} s"));
            vectors.Forget(collection.Id);
            await knowledge.DeleteCollectionAsync(user, collection.Id);
        }
    }

    /// <summary>Passages of 60 words from a 5,000-word vocabulary (Zipf-like, as real text is), with random unit vectors, by binary COPY.</summary>
    private static async Task SeedAsync(string connectionString, Guid user, Guid collection, string model, int size, Random random)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        const int perDocument = 10_000;
        var documents = new List<Guid>();
        for (var d = 0; d < (size + perDocument - 1) / perDocument; d++)
        {
            var id = Guid.CreateVersion7();
            documents.Add(id);
            await using var insert = new NpgsqlCommand("""
                INSERT INTO knowledge_documents (id, collection_id, owner_id, title, format, content_hash, source, size_bytes, status, chunks_done, chunks_total, created_at, updated_at)
                VALUES ($1, $2, $3, $4, 'Markdown', $5, '\x00', 1, 'Ready', $6, $6, now(), now())
                """, connection)
            {
                Parameters = { new() { Value = id }, new() { Value = collection }, new() { Value = user }, new() { Value = $"Seeded {d}" }, new() { Value = id.ToString("N") }, new() { Value = perDocument } },
            };
            await insert.ExecuteNonQueryAsync();
        }
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY vector_documents (id, collection_id, document_id, chunk_index, content, start_offset, embedding, model, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            var vector = new float[LocalEmbeddingGenerator.Dimensions];
            for (var i = 0; i < size; i++)
            {
                for (var j = 0; j < vector.Length; j++)
                {
                    vector[j] = (float)((random.NextDouble() * 2) - 1);
                }
                await copy.StartRowAsync();
                await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                await copy.WriteAsync(collection, NpgsqlDbType.Uuid);
                await copy.WriteAsync(documents[i / perDocument], NpgsqlDbType.Uuid);
                await copy.WriteAsync(i % perDocument, NpgsqlDbType.Integer);
                await copy.WriteAsync(Sentence(random, 60), NpgsqlDbType.Text);
                await copy.WriteAsync(0, NpgsqlDbType.Integer);
                await copy.WriteAsync(KnowledgeSearch.Normalized(vector), NpgsqlDbType.Array | NpgsqlDbType.Real);
                await copy.WriteAsync(model, NpgsqlDbType.Varchar);
                await copy.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
            }
            await copy.CompleteAsync();
        }
        await using var bump = new NpgsqlCommand("UPDATE knowledge_collections SET content_version = content_version + 1 WHERE id = $1", connection)
        {
            Parameters = { new() { Value = collection } },
        };
        await bump.ExecuteNonQueryAsync();
        await using var analyze = new NpgsqlCommand("ANALYZE vector_documents", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    private static readonly string[] Vocabulary = Enumerable.Range(0, 5_000).Select(Word).ToArray();

    /// <summary>A pronounceable word per number: the same number, the same word.</summary>
    private static string Word(int n)
    {
        const string consonants = "bcdfghklmnprstvz";
        const string vowels = "aeiou";
        var word = new StringBuilder();
        var value = n + 17;
        do
        {
            word.Append(consonants[value % consonants.Length]).Append(vowels[(value / consonants.Length) % vowels.Length]);
            value /= consonants.Length * vowels.Length;
        }
        while (value > 0);
        return word.ToString();
    }

    private static string Sentence(Random random, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => Vocabulary[(int)(Math.Pow(random.NextDouble(), 3) * Vocabulary.Length)])) + ".";

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static async Task WithServicesAsync(Func<ServiceProvider, Guid, Task> part)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "mrprompt-bench", Guid.NewGuid().ToString("N"));
        await using var server = new EmbeddedPostgresServer(new EmbeddedPostgresOptions(dataDir, null, "bench"), NullLogger<EmbeddedPostgresServer>.Instance);
        await server.StartAsync();
        try
        {
            await using var services = await BenchServices.StartAsync(server.ConnectionString(), new Dictionary<string, string?>
            {
                ["Jobs:PollSeconds"] = "1",
                // Hundreds of searches a minute from one account: the per-minute limits are not what is measured.
                ["Embeddings:RequestsPerMinute"] = "1000000",
                ["Limits:RequestsPerMinute"] = "1000000",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            Guid user;
            await using (var scope = services.CreateAsyncScope())
            {
                var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
                var account = new ApplicationUser { UserName = "knowledge-bench@example.com", Email = "knowledge-bench@example.com", EmailConfirmed = true };
                var created = await users.CreateAsync(account, "Bench-pass1");
                user = created.Succeeded ? account.Id : throw new InvalidOperationException(string.Join(" ", created.Errors.Select(e => e.Description)));
            }
            using (DataScope.ForUser(user))
            {
                await part(services, user);
            }
        }
        finally
        {
            await server.StopAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MrPrompt.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException("Run from inside the repository.");
    }
}
