using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Jobs;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Gateway.Embeddings;
using MrPrompt.Infrastructure.Persistence;
using Npgsql;

namespace MrPrompt.Infrastructure.Knowledge;

/// <summary>Why a knowledge action was refused; the HTTP API maps each kind to its status.</summary>
public enum KnowledgeProblem
{
    Invalid,
    NotFound,
    TooLarge,
    Duplicate,
    Forbidden,
}

public sealed record KnowledgeError(KnowledgeProblem Problem, string Message);

public sealed record CollectionView(Guid Id, string Name, KnowledgeVisibility Visibility, string EmbeddingModel, bool Owned,
    int Documents, int ReadyDocuments, DateTimeOffset CreatedAt);

public sealed record DocumentView(Guid Id, Guid CollectionId, string Title, string? FileName, DocumentType Format, int SizeBytes,
    DocumentStatus Status, int ChunksDone, int ChunksTotal, string? Error, Guid? JobId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A document as it arrives: an upload (its file name says its type) or pasted text.</summary>
public sealed record NewDocument(string Title, string? FileName, DocumentType Format, byte[] Content);

/// <summary>
/// Knowledge collections and their documents for the pages and the HTTP API (docs/contracts.md, "Knowledge"): every
/// read is its caller's own collections and the shared ones; every change is the owner's alone. A document is saved
/// with its ingestion job in one transaction, so a document never waits for a job that does not exist.
/// </summary>
public sealed class KnowledgeService(
    IDbContextFactory<AppDbContext> contexts,
    EmbeddingCatalog embeddings,
    EmbeddingGateway gateway,
    VectorIndex vectors,
    IOptions<KnowledgeOptions> options,
    TimeProvider clock)
{
    public const int IngestionPriority = -10;

    public async Task<(CollectionView? Collection, KnowledgeError? Error)> CreateCollectionAsync(
        Guid userId, string? name, KnowledgeVisibility visibility, bool mayShare, string? model, CancellationToken cancellationToken = default)
    {
        if (KnowledgeRules.ValidateName(name) is { } invalid)
        {
            return (null, new KnowledgeError(KnowledgeProblem.Invalid, invalid));
        }
        if (visibility == KnowledgeVisibility.Shared && !mayShare)
        {
            return (null, new KnowledgeError(KnowledgeProblem.Forbidden, "Only Authors and Admins share collections with everyone."));
        }
        var (chosen, modelError) = await ChooseModelAsync(userId, model, cancellationToken);
        if (chosen is null)
        {
            return (null, modelError);
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var collection = new KnowledgeCollection
        {
            Id = Guid.CreateVersion7(clock.GetUtcNow()),
            OwnerId = userId,
            Name = name!.Trim(),
            Visibility = visibility,
            EmbeddingModel = chosen.Value.ToString(),
        };
        db.KnowledgeCollections.Add(collection);
        await db.SaveChangesAsync(cancellationToken);
        return (View(collection, userId, 0, 0), null);
    }

    /// <summary>
    /// The chat's own collection, where its attached documents are searched per question; made (with the default embedding
    /// model) on first use. The chat need not be saved yet: a first message may bring the first document.
    /// </summary>
    public async Task<(Guid? Id, KnowledgeError? Error)> ChatCollectionAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        if (await FindChatCollectionAsync(userId, sessionId, cancellationToken) is { } existing)
        {
            return (existing, null);
        }
        var (chosen, modelError) = await ChooseModelAsync(userId, null, cancellationToken);
        if (chosen is null)
        {
            return (null, modelError);
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var collection = new KnowledgeCollection
        {
            Id = Guid.CreateVersion7(clock.GetUtcNow()),
            OwnerId = userId,
            Name = "Attachments of a chat",
            EmbeddingModel = chosen.Value.ToString(),
            ChatSessionId = sessionId,
        };
        db.KnowledgeCollections.Add(collection);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another send of the same chat made it a moment ago.
            return (await FindChatCollectionAsync(userId, sessionId, cancellationToken), null);
        }
        return (collection.Id, null);
    }

    /// <summary>The document of the collection with exactly these bytes (an earlier upload of the same file), if any.</summary>
    public async Task<Guid?> FindDocumentByContentAsync(Guid userId, Guid collectionId, byte[] content, CancellationToken cancellationToken = default)
    {
        var hash = ContentHashOf(content);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.KnowledgeDocuments.Where(d => d.CollectionId == collectionId && d.OwnerId == userId && d.ContentHash == hash)
            .Select(d => (Guid?)d.Id).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Deletes the chat's own collection when nothing is in it and the chat does not exist (its first message was never sent).</summary>
    public async Task DeleteChatCollectionIfUnusedAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.KnowledgeCollections
            .Where(c => c.ChatSessionId == sessionId && c.OwnerId == userId
                && !db.KnowledgeDocuments.Any(d => d.CollectionId == c.Id) && !db.ChatSessions.Any(s => s.Id == sessionId))
            .ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<Guid?> FindChatCollectionAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.KnowledgeCollections.Where(c => c.ChatSessionId == sessionId && c.OwnerId == userId)
            .Select(c => (Guid?)c.Id).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Deletes the chat's own collection with its documents and passages (the chat is going).</summary>
    public async Task DeleteChatCollectionAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        if (await FindChatCollectionAsync(userId, sessionId, cancellationToken) is { } id)
        {
            await DeleteCollectionAsync(userId, id, cancellationToken);
        }
    }

    /// <summary>
    /// Waits until every one of <paramref name="documentIds"/> is searchable (or failed), at most <paramref name="patience"/>:
    /// a question asked with a document attached is answered from it. Those not searchable in the end (failed, or still being
    /// read when patience ran out), else empty.
    /// </summary>
    public async Task<IReadOnlyList<DocumentView>> WaitUntilSettledAsync(Guid userId, IReadOnlyCollection<Guid> documentIds, TimeSpan patience, CancellationToken cancellationToken = default)
    {
        var giveUpAt = clock.GetUtcNow() + patience;
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var pending = await Documents(db, d => documentIds.Contains(d.Id) && d.OwnerId == userId && d.Status != DocumentStatus.Ready)
                .ToListAsync(cancellationToken);
            // Done when none is still being read: what remains then has failed (and says why), unless patience ran out first.
            if (pending.All(d => d.Status == DocumentStatus.Failed) || clock.GetUtcNow() >= giveUpAt)
            {
                return pending;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), clock, cancellationToken);
        }
    }

    /// <summary>The caller's own collections, then the shared ones, newest first.</summary>
    public async Task<IReadOnlyList<CollectionView>> ListCollectionsAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await Visible(db, userId)
            .Select(c => new
            {
                Collection = c,
                Documents = db.KnowledgeDocuments.Count(d => d.CollectionId == c.Id),
                Ready = db.KnowledgeDocuments.Count(d => d.CollectionId == c.Id && d.Status == DocumentStatus.Ready),
            })
            .ToListAsync(cancellationToken);
        return rows.Select(r => View(r.Collection, userId, r.Documents, r.Ready))
            .OrderByDescending(c => c.Owned).ThenByDescending(c => c.CreatedAt).ToList();
    }

    public async Task<CollectionView?> FindCollectionAsync(Guid userId, Guid collectionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await Visible(db, userId).Where(c => c.Id == collectionId)
            .Select(c => new
            {
                Collection = c,
                Documents = db.KnowledgeDocuments.Count(d => d.CollectionId == c.Id),
                Ready = db.KnowledgeDocuments.Count(d => d.CollectionId == c.Id && d.Status == DocumentStatus.Ready),
            })
            .SingleOrDefaultAsync(cancellationToken);
        return row is null ? null : View(row.Collection, userId, row.Documents, row.Ready);
    }

    public async Task<KnowledgeError?> DeleteCollectionAsync(Guid userId, Guid collectionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deleted = await db.KnowledgeCollections.Where(c => c.Id == collectionId && c.OwnerId == userId).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return await NotOwnedAsync(db, userId, collectionId, cancellationToken);
        }
        vectors.Forget(collectionId);
        return null;
    }

    /// <summary>Embeds the collection with another model: every document is ingested again, as jobs.</summary>
    public async Task<KnowledgeError?> ChangeModelAsync(Guid userId, Guid collectionId, string model, CancellationToken cancellationToken = default)
    {
        var (chosen, modelError) = await ChooseModelAsync(userId, model, cancellationToken);
        if (chosen is null)
        {
            return modelError;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var collection = await db.KnowledgeCollections.SingleOrDefaultAsync(c => c.Id == collectionId && c.OwnerId == userId, cancellationToken);
        if (collection is null)
        {
            return await NotOwnedAsync(db, userId, collectionId, cancellationToken);
        }
        if (collection.EmbeddingModel == chosen.Value.ToString())
        {
            return null;
        }
        collection.EmbeddingModel = chosen.Value.ToString();
        collection.ContentVersion++;
        var documents = await db.KnowledgeDocuments.Where(d => d.CollectionId == collectionId).ToListAsync(cancellationToken);
        foreach (var document in documents)
        {
            await SupersedeAsync(db, document, cancellationToken);
            Requeue(db, document);
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        vectors.Forget(collectionId);
        return null;
    }

    public async Task<(DocumentView? Document, KnowledgeError? Error)> AddDocumentAsync(
        Guid userId, Guid collectionId, NewDocument upload, CancellationToken cancellationToken = default)
    {
        if ((KnowledgeRules.ValidateTitle(upload.Title) ?? KnowledgeRules.ValidateFileName(upload.FileName is null ? null : Path.GetFileName(upload.FileName))) is { } invalid)
        {
            return (null, new KnowledgeError(KnowledgeProblem.Invalid, invalid));
        }
        if (upload.Content.Length == 0)
        {
            return (null, new KnowledgeError(KnowledgeProblem.Invalid, "The document is empty."));
        }
        if (upload.Content.Length > options.Value.MaxDocumentBytes)
        {
            return (null, new KnowledgeError(KnowledgeProblem.TooLarge, KnowledgeRules.TooLarge(upload.Content.Length, options.Value.MaxDocumentBytes)));
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.KnowledgeCollections.AnyAsync(c => c.Id == collectionId && c.OwnerId == userId, cancellationToken))
        {
            return (null, await NotOwnedAsync(db, userId, collectionId, cancellationToken));
        }
        var hash = ContentHashOf(upload.Content);
        if (await db.KnowledgeDocuments.Where(d => d.CollectionId == collectionId && d.ContentHash == hash).Select(d => d.Title).FirstOrDefaultAsync(cancellationToken) is { } existing)
        {
            return (null, Duplicate(existing));
        }
        var document = new KnowledgeDocument
        {
            Id = Guid.CreateVersion7(clock.GetUtcNow()),
            CollectionId = collectionId,
            OwnerId = userId,
            Title = upload.Title.Trim(),
            FileName = upload.FileName is null ? null : Path.GetFileName(upload.FileName),
            Format = upload.Format,
            ContentHash = hash,
            Source = upload.Content,
            SizeBytes = upload.Content.Length,
        };
        db.KnowledgeDocuments.Add(document);
        Requeue(db, document);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return (null, Duplicate("another upload of the same file"));
        }
        return (View(document), null);
    }

    /// <summary>Ingests a document again (after a failure, say): a new job; its passages are replaced, never added to.</summary>
    public async Task<(DocumentView? Document, KnowledgeError? Error)> ReingestAsync(Guid userId, Guid collectionId, Guid documentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var document = await db.KnowledgeDocuments.SingleOrDefaultAsync(d => d.Id == documentId && d.CollectionId == collectionId && d.OwnerId == userId, cancellationToken);
        if (document is null)
        {
            return (null, await db.KnowledgeDocuments.AnyAsync(d => d.Id == documentId && d.CollectionId == collectionId, cancellationToken)
                ? new KnowledgeError(KnowledgeProblem.Forbidden, "Only the collection's owner ingests its documents.")
                : new KnowledgeError(KnowledgeProblem.NotFound, "There is no such document in this collection."));
        }
        if (document.Status is DocumentStatus.Queued or DocumentStatus.Embedding)
        {
            return (null, new KnowledgeError(KnowledgeProblem.Duplicate, "The document is being ingested already."));
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await SupersedeAsync(db, document, cancellationToken);
        Requeue(db, document);
        // Its passages leave search until the new run has them all.
        await db.KnowledgeCollections.Where(c => c.Id == collectionId).ExecuteUpdateAsync(set => set.SetProperty(c => c.ContentVersion, c => c.ContentVersion + 1), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (View(document), null);
    }

    public async Task<IReadOnlyList<DocumentView>?> ListDocumentsAsync(Guid userId, Guid collectionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await Visible(db, userId).AnyAsync(c => c.Id == collectionId, cancellationToken))
        {
            return null;
        }
        return await Documents(db, d => d.CollectionId == collectionId).ToListAsync(cancellationToken);
    }

    public async Task<DocumentView?> FindDocumentAsync(Guid userId, Guid collectionId, Guid documentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await Visible(db, userId).AnyAsync(c => c.Id == collectionId, cancellationToken))
        {
            return null;
        }
        return await Documents(db, d => d.Id == documentId && d.CollectionId == collectionId).SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<KnowledgeError?> DeleteDocumentAsync(Guid userId, Guid collectionId, Guid documentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var deleted = await db.KnowledgeDocuments.Where(d => d.Id == documentId && d.CollectionId == collectionId && d.OwnerId == userId).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return await db.KnowledgeDocuments.AnyAsync(d => d.Id == documentId && d.CollectionId == collectionId, cancellationToken)
                ? new KnowledgeError(KnowledgeProblem.Forbidden, "Only the collection's owner removes its documents.")
                : new KnowledgeError(KnowledgeProblem.NotFound, "There is no such document in this collection.");
        }
        await db.KnowledgeCollections.Where(c => c.Id == collectionId).ExecuteUpdateAsync(set => set.SetProperty(c => c.ContentVersion, c => c.ContentVersion + 1), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>The embedding models a collection of this user may use, the default first.</summary>
    public async Task<IReadOnlyList<EmbeddingModel>> ModelsAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        var models = await gateway.ModelsForAsync(userId, cancellationToken);
        return models.OrderByDescending(m => m.Ref == embeddings.DefaultModel).ToList();
    }

    /// <summary>
    /// The document's previous ingestion job gives way to a new one: cancelled if it waits, asked to stop if it runs (its
    /// writes are fenced on the document's job id, so a late one changes nothing).
    /// </summary>
    private static async Task SupersedeAsync(AppDbContext db, KnowledgeDocument document, CancellationToken cancellationToken)
    {
        if (document.JobId is not { } previous)
        {
            return;
        }
        await db.GenerationJobs.Where(j => j.Id == previous && (j.Status == JobStatus.Pending || j.Status == JobStatus.Retrying))
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.Status, JobStatus.Cancelled).SetProperty(j => j.ErrorCode, "superseded"), cancellationToken);
        await db.GenerationJobs.Where(j => j.Id == previous && j.Status == JobStatus.Processing)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.CancelRequested, true), cancellationToken);
    }

    /// <summary>A new ingestion job for <paramref name="document"/>, saved with the caller's changes.</summary>
    private void Requeue(AppDbContext db, KnowledgeDocument document)
    {
        var now = clock.GetUtcNow();
        var job = new GenerationJob
        {
            Id = Guid.CreateVersion7(now),
            Kind = JobKind.IngestDocument,
            UserId = document.OwnerId,
            Priority = IngestionPriority,
            MaxAttempts = options.Value.MaxIngestAttempts,
            RunAfter = now,
            DocumentId = document.Id,
        };
        db.GenerationJobs.Add(job);
        document.JobId = job.Id;
        document.Status = DocumentStatus.Queued;
        document.ChunksDone = 0;
        document.Error = null;
    }

    private async Task<(ModelRef? Model, KnowledgeError? Error)> ChooseModelAsync(Guid userId, string? model, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return embeddings.DefaultModel is { } fallback ? (fallback, null)
                : (null, new KnowledgeError(KnowledgeProblem.Invalid, "No embedding model is set up here; the operator can turn on the offline model or set EMBEDDING_API_BASE."));
        }
        if (!ModelRef.TryParse(model.Trim(), out var asked))
        {
            return (null, new KnowledgeError(KnowledgeProblem.Invalid, $"'{model}' is not provider/model."));
        }
        var available = await gateway.ModelsForAsync(userId, cancellationToken);
        return available.Any(m => m.Ref == asked) ? (asked, null)
            : (null, new KnowledgeError(KnowledgeProblem.Invalid, $"'{asked}' is not an embedding model you can use; choose one of {string.Join(", ", available.Select(m => m.Ref))}."));
    }

    /// <summary>What makes two uploads the same document in a collection: the SHA-256 of their bytes.</summary>
    private static string ContentHashOf(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>The collections of the knowledge page and API: the caller's own and shared ones, never a chat's own (its attachments).</summary>
    private static IQueryable<KnowledgeCollection> Visible(AppDbContext db, Guid userId) =>
        db.KnowledgeCollections.AsNoTracking().Where(c => c.ChatSessionId == null && (c.OwnerId == userId || c.Visibility == KnowledgeVisibility.Shared));

    private static IQueryable<DocumentView> Documents(AppDbContext db, System.Linq.Expressions.Expression<Func<KnowledgeDocument, bool>> which) =>
        db.KnowledgeDocuments.AsNoTracking().Where(which).OrderBy(d => d.Id).Select(d => new DocumentView(d.Id, d.CollectionId, d.Title, d.FileName, d.Format, d.SizeBytes,
            d.Status, d.ChunksDone, d.ChunksTotal, d.Error, d.JobId, d.CreatedAt, d.UpdatedAt));

    private static async Task<KnowledgeError> NotOwnedAsync(AppDbContext db, Guid userId, Guid collectionId, CancellationToken cancellationToken) =>
        await Visible(db, userId).AnyAsync(c => c.Id == collectionId, cancellationToken)
            ? new KnowledgeError(KnowledgeProblem.Forbidden, "This collection is shared with you to read; only its owner changes it.")
            : new KnowledgeError(KnowledgeProblem.NotFound, "There is no such collection, or it is not yours.");

    private static KnowledgeError Duplicate(string existingTitle) =>
        new(KnowledgeProblem.Duplicate, $"This collection already holds the same content ('{existingTitle}').");

    private static CollectionView View(KnowledgeCollection c, Guid userId, int documents, int ready) =>
        new(c.Id, c.Name, c.Visibility, c.EmbeddingModel, c.OwnerId == userId, documents, ready, c.CreatedAt);

    private static DocumentView View(KnowledgeDocument d) =>
        new(d.Id, d.CollectionId, d.Title, d.FileName, d.Format, d.SizeBytes, d.Status, d.ChunksDone, d.ChunksTotal, d.Error, d.JobId, d.CreatedAt, d.UpdatedAt);
}
