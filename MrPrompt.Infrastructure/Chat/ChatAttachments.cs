using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Chat;

/// <summary>An attachment as a page shows it: never its bytes, which its owner fetches from its address.</summary>
public sealed record AttachmentView(Guid Id, Guid SessionId, string FileName, string ContentType, int SizeBytes, AttachmentKind Kind, bool Searched);

/// <summary>
/// Files sent with messages: checked, read and stored with their message. An image goes to the model as image content
/// (only to a model that sees images); a document's text goes whole with its message when it is short
/// (<see cref="ConversationOptions.InlineAttachmentCharacters"/>), else into the chat's own knowledge collection, read and
/// embedded before the question is answered, then searched per question and cited like any collection.
/// </summary>
public sealed class ChatAttachments(
    IDbContextFactory<AppDbContext> contexts,
    KnowledgeService knowledge,
    ProviderCatalog providers,
    IOptions<ConversationOptions> options,
    IOptions<KnowledgeOptions> knowledgeOptions,
    TimeProvider clock)
{
    /// <summary>
    /// The attachments of a message to <paramref name="model"/> in chat <paramref name="sessionId"/>, ready to be saved with it
    /// (their message id is set then), or why they cannot go. Longer documents are in the chat's collection, searchable, when this
    /// returns; on a refusal (or an exception) what this call put there is taken back.
    /// </summary>
    internal async Task<ChatResult<PreparedAttachments>> PrepareAsync(
        Guid userId, Guid sessionId, ModelRef model, IReadOnlyList<NewAttachment> files, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return new PreparedAttachments([], []);
        }
        if (AttachmentRules.Validate(files, knowledgeOptions.Value.MaxDocumentBytes) is { } invalid)
        {
            return ChatProblem.Invalid(invalid);
        }
        var added = new List<Guid>();
        try
        {
            var prepared = await PrepareEachAsync(userId, sessionId, model, files, added, cancellationToken);
            if (prepared.Problem is not null)
            {
                await ForgetAsync(userId, sessionId, added, CancellationToken.None);
            }
            return prepared;
        }
        catch
        {
            await ForgetAsync(userId, sessionId, added, CancellationToken.None);
            throw;
        }
    }

    private async Task<ChatResult<PreparedAttachments>> PrepareEachAsync(
        Guid userId, Guid sessionId, ModelRef model, IReadOnlyList<NewAttachment> files, List<Guid> added, CancellationToken cancellationToken)
    {
        var prepared = new List<MessageAttachment>();
        var searched = new List<Guid>();
        foreach (var file in files)
        {
            var name = Path.GetFileName(file.FileName);
            var (kind, contentType, format) = AttachmentRules.Classify(name)!.Value;
            var attachment = new MessageAttachment
            {
                Id = Guid.CreateVersion7(clock.GetUtcNow()), SessionId = sessionId, UserId = userId, FileName = name,
                ContentType = contentType, SizeBytes = file.Data.Length, Kind = kind, Data = file.Data,
            };
            prepared.Add(attachment);
            if (kind == AttachmentKind.Image)
            {
                if (providers.Find(model.Provider) is not { } provider || !provider.SeesImages(model.Model))
                {
                    return ChatProblem.Invalid($"{model} cannot see images, so '{name}' would be lost on it. Pick a model that can (GPT-4o, Claude, Gemini, …), or send it without the image.");
                }
                continue;
            }
            string text;
            try
            {
                text = DocumentText.Extract(format!.Value, file.Data);
            }
            catch (UnreadableDocumentException ex)
            {
                return ChatProblem.Invalid($"'{name}' could not be read: {ex.Message}");
            }
            if (string.IsNullOrWhiteSpace(text))
            {
                return ChatProblem.Invalid($"'{name}' has no text to read (a scanned PDF?).");
            }
            if (text.Length <= options.Value.InlineAttachmentCharacters)
            {
                attachment.InlineText = text;
                continue;
            }
            var (collectionId, collectionError) = await knowledge.ChatCollectionAsync(userId, sessionId, cancellationToken);
            if (collectionId is null)
            {
                return ChatProblem.Invalid($"'{name}' is too long to send whole, and the chat's knowledge cannot take it: {collectionError!.Message}");
            }
            var (document, addError) = await knowledge.AddDocumentAsync(userId, collectionId.Value, new NewDocument(name, name, format!.Value, file.Data), cancellationToken);
            if (document is not null)
            {
                added.Add(document.Id);
                attachment.KnowledgeDocumentId = document.Id;
            }
            else if (addError!.Problem == KnowledgeProblem.Duplicate
                && await knowledge.FindDocumentByContentAsync(userId, collectionId.Value, file.Data, cancellationToken) is { } earlier)
            {
                // The same file attached earlier in this chat (or a send that was refused while it was being read): that document serves.
                attachment.KnowledgeDocumentId = earlier;
            }
            else
            {
                return ChatProblem.Invalid($"'{name}': {addError.Message}");
            }
            searched.Add(attachment.KnowledgeDocumentId.Value);
        }
        if (searched.Count > 0)
        {
            var unsearchable = await knowledge.WaitUntilSettledAsync(userId, searched, TimeSpan.FromSeconds(options.Value.AttachmentReadySeconds), cancellationToken);
            if (unsearchable.FirstOrDefault(d => d.Status == Domain.Knowledge.DocumentStatus.Failed) is { } failed)
            {
                return ChatProblem.Invalid($"'{failed.Title}' could not be read: {failed.Error ?? "the reading failed"}.");
            }
            if (unsearchable.FirstOrDefault() is { } pending)
            {
                return ChatProblem.Invalid($"'{pending.Title}' is still being read ({pending.ChunksDone} of {pending.ChunksTotal} passages). Send again in a moment.");
            }
        }
        return new PreparedAttachments(prepared, added);
    }

    /// <summary>The same file for another message (an edited question keeps the files of the one it rewords).</summary>
    internal static MessageAttachment CopyFor(MessageAttachment source, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        SessionId = source.SessionId,
        UserId = source.UserId,
        FileName = source.FileName,
        ContentType = source.ContentType,
        SizeBytes = source.SizeBytes,
        Kind = source.Kind,
        Data = source.Data,
        InlineText = source.InlineText,
        KnowledgeDocumentId = source.KnowledgeDocumentId,
    };

    /// <summary>The images and inline text of <paramref name="messageIds"/>' attachments, by message, to rebuild the turns a model sees.</summary>
    internal static async Task<ILookup<Guid, MessageAttachment>> OfMessagesAsync(AppDbContext db, IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken) =>
        (await db.MessageAttachments.AsNoTracking()
            .Where(a => messageIds.Contains(a.MessageId) && (a.Kind == AttachmentKind.Image || a.InlineText != null))
            .OrderBy(a => a.Id).ToListAsync(cancellationToken))
        .ToLookup(a => a.MessageId);

    /// <summary>What a chat's messages carry, by message, without the bytes.</summary>
    public static async Task<IReadOnlyDictionary<Guid, IReadOnlyList<AttachmentView>>> ViewsAsync(AppDbContext db, Guid sessionId, CancellationToken cancellationToken) =>
        (await db.MessageAttachments.AsNoTracking().Where(a => a.SessionId == sessionId).OrderBy(a => a.Id)
            .Select(a => new { a.MessageId, View = new AttachmentView(a.Id, a.SessionId, a.FileName, a.ContentType, a.SizeBytes, a.Kind, a.KnowledgeDocumentId != null) })
            .ToListAsync(cancellationToken))
        .GroupBy(a => a.MessageId).ToDictionary(g => g.Key, g => (IReadOnlyList<AttachmentView>)g.Select(a => a.View).ToList());

    /// <summary>One attachment with its bytes, for its owner only; null for anyone else, as for one that never existed.</summary>
    public async Task<MessageAttachment?> FindAsync(Guid userId, Guid sessionId, Guid attachmentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.MessageAttachments.AsNoTracking()
            .FirstOrDefaultAsync(a => a.Id == attachmentId && a.SessionId == sessionId && a.UserId == userId, cancellationToken);
    }

    /// <summary>
    /// Takes back the documents <see cref="PrepareAsync"/> added to the chat's knowledge when the message was not sent after all,
    /// and the chat's collection with them when the chat itself was never made.
    /// </summary>
    internal async Task ForgetAsync(Guid userId, Guid sessionId, IReadOnlyCollection<Guid> addedDocuments, CancellationToken cancellationToken)
    {
        if (addedDocuments.Count == 0 || await knowledge.FindChatCollectionAsync(userId, sessionId, cancellationToken) is not { } collectionId)
        {
            return;
        }
        foreach (var documentId in addedDocuments)
        {
            await knowledge.DeleteDocumentAsync(userId, collectionId, documentId, cancellationToken);
        }
        await knowledge.DeleteChatCollectionIfUnusedAsync(userId, sessionId, cancellationToken);
    }
}

/// <summary>A message's files, checked and read, and the documents this put into the chat's knowledge (to take back if it is not sent).</summary>
internal sealed record PreparedAttachments(List<MessageAttachment> Files, IReadOnlyList<Guid> AddedDocuments);
