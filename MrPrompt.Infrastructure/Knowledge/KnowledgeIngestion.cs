using MrPrompt.Infrastructure.Cluster;
using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Jobs;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway.Embeddings;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using Npgsql;

namespace MrPrompt.Infrastructure.Knowledge;

/// <summary>
/// Runs ingestion jobs claimed from the durable queue: extract the document's text → cut it into passages → embed
/// them in batches through the <see cref="EmbeddingGateway"/> → upsert them into <c>vector_documents</c> (a run
/// again replaces rows, never adds them) with the document's progress saved after each batch, for the page and the
/// event stream. The job and the document's end state commit together, under the lease, like a chat answer.
/// </summary>
public sealed partial class KnowledgeIngestion(
    IDbContextFactory<AppDbContext> contexts,
    JobQueue queue,
    InstanceIdentity identity,
    EmbeddingGateway gateway,
    VectorIndex vectors,
    IOptions<KnowledgeOptions> options,
    IOptions<EmbeddingOptions> embeddingOptions,
    TimeProvider clock,
    ILogger<KnowledgeIngestion> logger) : IHostedService
{
    private readonly ConcurrentDictionary<Guid, Run> _running = new();
    private readonly SemaphoreSlim _slots = new(options.Value.IngestionsAtOnce);
    private volatile bool _stopping;

    private sealed class Run(GenerationJob job) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public GenerationJob Job { get; } = job;
        public StopReason? StoppedBecause { get; private set; }
        public CancellationToken Token => _stop.Token;
        public Task Finished { get; set; } = Task.CompletedTask;

        public void Cancel(StopReason reason)
        {
            StoppedBecause ??= reason;
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It ended as the stop came: nothing left to stop.
            }
        }

        public void Dispose() => _stop.Dispose();
    }

    public bool IsAccepting => !_stopping;

    /// <summary>Ingestions this instance can start now; the worker claims no more than that.</summary>
    public int FreePlaces => _stopping ? 0 : Math.Max(0, options.Value.IngestionsAtOnce - _running.Count);

    /// <summary>How long reading a document's text may take before the ingestion fails (a damaged or hostile file).</summary>
    public static readonly TimeSpan ExtractionTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The ingestion jobs running here, whose leases the worker renews.</summary>
    public IReadOnlyCollection<Guid> RunningJobs => _running.Keys.ToList();

    /// <summary>Starts ingesting <paramref name="job"/>'s document in the background; the task ends when the job has settled.</summary>
    public Task Start(GenerationJob job)
    {
        var run = new Run(job);
        if (!_running.TryAdd(job.Id, run))
        {
            throw new InvalidOperationException($"Job {job.Id} is already running here.");
        }
        run.Finished = Task.Run(() => RunAsync(run));
        return run.Finished;
    }

    /// <summary>A job asked to stop (its document deleted, say), or one whose lease was lost.</summary>
    internal void Stop(Guid jobId, StopReason reason)
    {
        if (_running.TryGetValue(jobId, out var run))
        {
            run.Cancel(reason);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>On shutdown, ingestions stop and go back to the queue, their attempt not counted; a run again upserts the same rows.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        var running = _running.Values.ToList();
        foreach (var run in running)
        {
            run.Cancel(StopReason.ServerStopping);
        }
        await Task.WhenAll(running.Select(r => r.Finished)).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync(Run run)
    {
        var job = run.Job;
        using var scope = DataScope.AsSystem("ingesting a knowledge document");
        try
        {
            await _slots.WaitAsync(run.Token);
            try
            {
                await IngestAsync(job, run.Token);
            }
            finally
            {
                _slots.Release();
            }
        }
        catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
        {
            await SettleStoppedAsync(run);
        }
        catch (Exception ex) when (ex is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } or DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } })
        {
            // The document (or its collection) was deleted while it was being ingested: the job ends with it.
            await queue.FinishAsync(identity.Name, job.Id, JobStatus.Cancelled, null, _ => Task.CompletedTask, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogIngestionCrashed(logger, ex, job.Id);
            await FailAsync(job, "unknown", "The document could not be ingested because of an error on our side; run it again, or tell the operator.");
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
            run.Dispose();
        }
    }

    private async Task IngestAsync(GenerationJob job, CancellationToken stop)
    {
        KnowledgeDocument? document;
        KnowledgeCollection? collection;
        await using (var db = await contexts.CreateDbContextAsync(stop))
        {
            document = await db.KnowledgeDocuments.AsNoTracking().SingleOrDefaultAsync(d => d.Id == job.DocumentId, stop);
            collection = document is null ? null : await db.KnowledgeCollections.AsNoTracking().SingleOrDefaultAsync(c => c.Id == document.CollectionId, stop);
        }
        if (document is null || collection is null || !ModelRef.TryParse(collection.EmbeddingModel, out var model))
        {
            // Deleted while it waited: nothing left to do.
            await queue.FinishAsync(identity.Name, job.Id, JobStatus.Cancelled, null, _ => Task.CompletedTask, CancellationToken.None);
            return;
        }

        string text;
        try
        {
            // Off the caller's thread and bounded in time: a hostile file that never finishes parsing fails this job
            // and frees its place (the parser's thread cannot be stopped; docs/decisions/0011 names the way past this).
            var source = document.Source;
            text = await Task.Run(() => DocumentText.Extract(document.Format, source), CancellationToken.None).WaitAsync(ExtractionTimeout, stop);
        }
        catch (UnreadableDocumentException unreadable)
        {
            await FailAsync(job, "unreadable", unreadable.Message);
            return;
        }
        catch (TimeoutException)
        {
            await FailAsync(job, "unreadable", $"Reading the text of this {document.Format.ToString().ToUpperInvariant()} file took longer than {ExtractionTimeout.TotalMinutes:0} minutes; is it damaged?");
            return;
        }
        var chunks = TextChunker.Split(text, options.Value.Chunking);
        if (chunks.Count == 0)
        {
            await FailAsync(job, "empty", "No text was found in this document (a scanned PDF holds only pictures of text).");
            return;
        }
        if (!await ProgressAsync(job, DocumentStatus.Embedding, 0, chunks.Count, stop))
        {
            await SupersededAsync(job);
            return;
        }

        var done = 0;
        foreach (var batch in chunks.Chunk(embeddingOptions.Value.MaxBatch))
        {
            var embedded = await gateway.EmbedAsync(new EmbeddingRequest
            {
                UserId = document.OwnerId,
                Model = model,
                Inputs = batch.Select(EmbeddingText).ToList(),
                // A job's source: the account's budget and open calls apply (background work would skip them).
                Source = UsageSource.Job,
                JobId = job.Id,
            }, stop);
            stop.ThrowIfCancellationRequested();
            if (embedded.Result is not { } result)
            {
                var error = embedded.Error!;
                if (error.IsTransient && job.Attempts < job.MaxAttempts)
                {
                    await queue.RetryLaterAsync(identity.Name, job, (error.CodeName, error.Message), CancellationToken.None);
                    await ProgressAsync(job, DocumentStatus.Queued, done, chunks.Count, CancellationToken.None, $"Will try again: {error.Message}");
                    return;
                }
                await FailAsync(job, error.CodeName, error.Message);
                return;
            }
            await UpsertAsync(collection, document, batch, result, stop);
            done += batch.Length;
            if (!await ProgressAsync(job, DocumentStatus.Embedding, done, chunks.Count, stop))
            {
                // Ingested again meanwhile (another model, a new upload of it): the newer job writes its passages.
                await SupersededAsync(job);
                return;
            }
        }

        var finished = await queue.FinishAsync(identity.Name, job.Id, JobStatus.Completed, null, async db =>
        {
            // A run again that cut fewer passages leaves none of the old ones behind.
            await db.KnowledgeChunks.Where(c => c.DocumentId == document.Id && c.ChunkIndex >= chunks.Count).ExecuteDeleteAsync(CancellationToken.None);
            await db.KnowledgeDocuments.Where(d => d.Id == document.Id && d.JobId == job.Id).ExecuteUpdateAsync(set => set
                .SetProperty(d => d.Status, DocumentStatus.Ready)
                .SetProperty(d => d.ChunksDone, chunks.Count)
                .SetProperty(d => d.ChunksTotal, chunks.Count)
                .SetProperty(d => d.Error, (string?)null)
                .SetProperty(d => d.UpdatedAt, clock.GetUtcNow()), CancellationToken.None);
            await BumpVersionAsync(db, collection.Id);
        }, CancellationToken.None);
        if (finished)
        {
            LogIngested(logger, document.Id, chunks.Count, collection.EmbeddingModel);
        }
    }

    /// <summary>What the model reads for a passage: its headings give a short passage its context.</summary>
    internal static string EmbeddingText(TextChunk chunk) => chunk.Heading is { Length: > 0 } heading ? $"{heading}\n{chunk.Content}" : chunk.Content;

    private async Task UpsertAsync(KnowledgeCollection collection, KnowledgeDocument document, TextChunk[] batch, EmbeddingResult result, CancellationToken stop)
    {
        await using var db = await contexts.CreateDbContextAsync(stop);
        await db.Database.OpenConnectionAsync(stop);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var upsert = new NpgsqlBatch(connection);
        var now = clock.GetUtcNow();
        for (var i = 0; i < batch.Length; i++)
        {
            var chunk = batch[i];
            upsert.BatchCommands.Add(new NpgsqlBatchCommand("""
                INSERT INTO vector_documents (id, collection_id, document_id, chunk_index, heading, content, start_offset, embedding, model, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (collection_id, document_id, chunk_index) DO UPDATE
                SET heading = excluded.heading, content = excluded.content, start_offset = excluded.start_offset,
                    embedding = excluded.embedding, model = excluded.model
                """)
            {
                Parameters =
                {
                    new() { Value = Guid.CreateVersion7(now) },
                    new() { Value = collection.Id },
                    new() { Value = document.Id },
                    new() { Value = chunk.Index },
                    new() { Value = (object?)chunk.Heading ?? DBNull.Value },
                    new() { Value = chunk.Content },
                    new() { Value = chunk.StartOffset },
                    new() { Value = KnowledgeSearch.Normalized(result.Vectors[i].Span) },
                    new() { Value = collection.EmbeddingModel },
                    new() { Value = now },
                },
            });
        }
        await upsert.ExecuteNonQueryAsync(stop);
    }

    /// <summary>Saves the document's progress; false when the document is no longer this job's (deleted, or ingested again).</summary>
    private async Task<bool> ProgressAsync(GenerationJob job, DocumentStatus status, int done, int total, CancellationToken stop, string? note = null)
    {
        await using var db = await contexts.CreateDbContextAsync(stop);
        return await db.KnowledgeDocuments.Where(d => d.Id == job.DocumentId && d.JobId == job.Id).ExecuteUpdateAsync(set => set
            .SetProperty(d => d.Status, status)
            .SetProperty(d => d.ChunksDone, done)
            .SetProperty(d => d.ChunksTotal, total)
            .SetProperty(d => d.Error, note)
            .SetProperty(d => d.UpdatedAt, clock.GetUtcNow()), stop) > 0;
    }

    private Task SupersededAsync(GenerationJob job) =>
        queue.FinishAsync(identity.Name, job.Id, JobStatus.Cancelled, ("superseded", "The document was deleted or ingested again."), _ => Task.CompletedTask, CancellationToken.None);

    private async Task FailAsync(GenerationJob job, string code, string message)
    {
        await queue.FinishAsync(identity.Name, job.Id, JobStatus.Failed, (code, message), async db =>
        {
            await db.KnowledgeDocuments.Where(d => d.Id == job.DocumentId && d.JobId == job.Id).ExecuteUpdateAsync(set => set
                .SetProperty(d => d.Status, DocumentStatus.Failed)
                .SetProperty(d => d.Error, JobQueue.Fit(message, 1000))
                .SetProperty(d => d.UpdatedAt, clock.GetUtcNow()), CancellationToken.None);
        }, CancellationToken.None);
    }

    private async Task SettleStoppedAsync(Run run)
    {
        var job = run.Job;
        switch (run.StoppedBecause)
        {
            case StopReason.ServerStopping:
                await queue.GiveBackAsync(identity.Name, job.Id, CancellationToken.None);
                await ProgressAsync(job, DocumentStatus.Queued, 0, 0, CancellationToken.None);
                break;
            case StopReason.Stopped:
                await queue.FinishAsync(identity.Name, job.Id, JobStatus.Cancelled, null, db =>
                    db.KnowledgeDocuments.Where(d => d.Id == job.DocumentId && d.JobId == job.Id).ExecuteUpdateAsync(set => set
                        .SetProperty(d => d.Status, DocumentStatus.Failed)
                        .SetProperty(d => d.Error, "Stopped before it was ready.")
                        .SetProperty(d => d.UpdatedAt, clock.GetUtcNow()), CancellationToken.None), CancellationToken.None);
                break;
            default:
                // The lease was taken back: the instance that holds it now finishes the document.
                break;
        }
    }

    private async Task BumpVersionAsync(AppDbContext db, Guid collectionId)
    {
        await db.KnowledgeCollections.Where(c => c.Id == collectionId)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.ContentVersion, c => c.ContentVersion + 1), CancellationToken.None);
        vectors.Forget(collectionId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingested document {DocumentId}: {Chunks} passages embedded with {Model}")]
    private static partial void LogIngested(ILogger logger, Guid documentId, int chunks, string model);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingestion job {JobId} crashed")]
    private static partial void LogIngestionCrashed(ILogger logger, Exception exception, Guid jobId);
}
