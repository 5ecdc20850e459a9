using MrPrompt.Infrastructure.Cluster;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Limits;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Knowledge;
using MrPrompt.Domain.Knowledge;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Usage;
using Npgsql;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;
using DataContent = Microsoft.Extensions.AI.DataContent;
using TextContent = Microsoft.Extensions.AI.TextContent;

namespace MrPrompt.Infrastructure.Chat;

/// <summary>
/// Everything that asks for an answer: send, regenerate, edit and resend, stop. Each checks the input
/// and the limits first, then saves the user message, an assistant message marked <c>streaming</c> and
/// the job that will write it in one transaction (docs/contracts.md, "Generation jobs"). The job is
/// claimed by this instance as it is saved, so the <see cref="GenerationRunner"/> starts at once.
/// </summary>
public sealed class ChatService(
    IDbContextFactory<AppDbContext> contexts,
    GenerationRunner runner,
    JobQueue queue,
    InstanceIdentity worker,
    ProviderCatalog providers,
    ITokenCounter tokens,
    CallRateLimits rates,
    IOptions<LimitOptions> limits,
    IOptions<ConversationOptions> options,
    IOptions<JobOptions> jobOptions,
    KnowledgeSearch knowledge,
    KnowledgeService collections,
    ChatAttachments attachments,
    IOptions<KnowledgeOptions> knowledgeOptions,
    TimeProvider clock)
{
    public ConversationOptions Limits => options.Value;

    /// <summary>Null when the text can be sent, else why not.</summary>
    public string? ValidateMessage(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "Write a message first."
        : text.Length > Limits.MaxMessageLength ? $"A message can be at most {Limits.MaxMessageLength:N0} characters; this one has {text.Length:N0}."
        : text.Contains('\0', StringComparison.Ordinal) ? "The message contains a NUL character, which cannot be stored. Remove it and send again."
        : null;

    /// <summary>Creates a chat with <paramref name="settings"/> and sends its first message; nothing is created when the message is refused.</summary>
    public Task<ChatResult<Exchange>> StartChatAsync(Guid userId, SessionSettings settings, string text, CancellationToken cancellationToken = default) =>
        StartChatAsync(userId, settings, text, null, cancellationToken);

    /// <summary>As above, for a message written from a library prompt (<paramref name="prompt"/>), which the message records.</summary>
    public Task<ChatResult<Exchange>> StartChatAsync(Guid userId, SessionSettings settings, string text, PromptUse? prompt, CancellationToken cancellationToken = default) =>
        StartChatAsync(userId, settings, text, prompt, [], cancellationToken);

    /// <summary>As above, with files attached to the first message (<see cref="ChatAttachments"/>).</summary>
    public async Task<ChatResult<Exchange>> StartChatAsync(
        Guid userId, SessionSettings settings, string text, PromptUse? prompt, IReadOnlyList<NewAttachment> files, CancellationToken cancellationToken = default)
    {
        if ((ValidateMessage(text) ?? settings.Validate()) is { } invalid)
        {
            return ChatProblem.Invalid(invalid);
        }
        var session = new ChatSession { Id = Guid.CreateVersion7(), UserId = userId };
        settings.ApplyTo(session);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ChatSessions.Add(session);
        return await BeginAnswerAsync(db, session, Branch.Empty, text, cancellationToken, prompt: prompt, files: files);
    }

    public Task<ChatResult<Exchange>> SendAsync(Guid userId, Guid sessionId, string text, CancellationToken cancellationToken = default) =>
        SendAsync(userId, sessionId, text, null, cancellationToken);

    /// <summary>Sends <paramref name="text"/>; when it was written from a library prompt, the message records the version.</summary>
    public Task<ChatResult<Exchange>> SendAsync(Guid userId, Guid sessionId, string text, PromptUse? prompt, CancellationToken cancellationToken = default) =>
        SendAsync(userId, sessionId, text, prompt, [], null, cancellationToken);

    /// <summary>
    /// As above, with files attached to the message (<see cref="ChatAttachments"/>), continuing the branch that ends at
    /// <paramref name="after"/> (the last message the page shows; null: the branch the chat shows now). Two tabs on different
    /// branches of a chat each continue their own.
    /// </summary>
    public async Task<ChatResult<Exchange>> SendAsync(
        Guid userId, Guid sessionId, string text, PromptUse? prompt, IReadOnlyList<NewAttachment> files, Guid? after, CancellationToken cancellationToken = default)
    {
        if (ValidateMessage(text) is { } invalid)
        {
            return ChatProblem.Invalid(invalid);
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var session = await FindSessionAsync(db, userId, sessionId, cancellationToken);
        if (session is null)
        {
            return ChatProblem.NotFound();
        }
        var branch = await BranchAsync(db, session, cancellationToken, after);
        return await BeginAnswerAsync(db, session, branch, text, cancellationToken, prompt: prompt, files: files);
    }

    /// <summary>Answers the last question of the branch shown again; the earlier answer stays as an alternative ("‹ 1 / 2 ›").</summary>
    public Task<ChatResult<Exchange>> RegenerateAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        RegenerateAsync(userId, sessionId, null, cancellationToken);

    /// <summary>As above, for the branch that ends at <paramref name="after"/> (the last message the page shows).</summary>
    public async Task<ChatResult<Exchange>> RegenerateAsync(Guid userId, Guid sessionId, Guid? after, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var session = await FindSessionAsync(db, userId, sessionId, cancellationToken);
        if (session is null)
        {
            return ChatProblem.NotFound();
        }
        var branch = await BranchAsync(db, session, cancellationToken, after);
        var history = branch.Path.ToList();
        if (history.Count > 0 && history[^1].Sender == MessageSender.Assistant)
        {
            history.RemoveAt(history.Count - 1);
        }
        if (history.Count == 0 || history[^1].Sender != MessageSender.User)
        {
            return ChatProblem.Invalid("There is no question to answer again.");
        }
        return await BeginAnswerAsync(db, session, branch with { Path = history }, null, cancellationToken);
    }

    /// <summary>
    /// A question for the queue (<c>POST /api/chat/jobs</c>): into <see cref="QueuedQuestion.SessionId"/>, or a new chat with
    /// <see cref="QueuedQuestion.Model"/>. Unlike a question asked in the browser, its job waits its turn by priority, may be
    /// run by any instance, and is tried again after a transient failure.
    /// </summary>
    public async Task<ChatResult<Exchange>> QueueQuestionAsync(Guid userId, QueuedQuestion question, CancellationToken cancellationToken = default)
    {
        if (ValidateMessage(question.Message) is { } invalid)
        {
            return ChatProblem.Invalid(invalid);
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        ChatSession session;
        var branch = Branch.Empty;
        if (question.SessionId is { } sessionId)
        {
            if (await FindSessionAsync(db, userId, sessionId, cancellationToken) is not { } found)
            {
                return ChatProblem.NotFound();
            }
            session = found;
            branch = await BranchAsync(db, session, cancellationToken);
        }
        else
        {
            session = new ChatSession { Id = Guid.CreateVersion7(), UserId = userId };
            db.ChatSessions.Add(session);
        }
        if (question.Model is { Length: > 0 } model)
        {
            if (!ModelRef.TryParse(model, out var parsed))
            {
                return ChatProblem.Invalid($"\"{model}\" is not a model; name one as provider/model.");
            }
            session.Model = parsed.ToString();
        }
        if (string.IsNullOrEmpty(session.Model))
        {
            return ChatProblem.Invalid("Name a model (provider/model) for a new chat.");
        }
        if (question.AllowedModels is { } allowed && !allowed.Contains(session.Model))
        {
            return ChatProblem.Invalid($"This API key may not use {session.Model}.");
        }
        var origin = new AnswerOrigin(ClaimHere: false, question.Priority, UsageSource.Job, question.ApiKeyId, question.AllowedModels, question.TraceId);
        return await BeginAnswerAsync(db, session, branch, question.Message, cancellationToken, prompt: question.Prompt, origin: origin);
    }

    /// <summary>
    /// Asks an earlier question of the user again in new words: a new branch from the same place, which the
    /// chat then shows; the old question and everything after it stay as the other alternative.
    /// </summary>
    public async Task<ChatResult<Exchange>> EditAndResendAsync(Guid userId, Guid messageId, string text, CancellationToken cancellationToken = default)
    {
        if (ValidateMessage(text) is { } invalid)
        {
            return ChatProblem.Invalid(invalid);
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var edited = await db.Messages
            .Where(m => m.Id == messageId && db.ChatSessions.Any(s => s.Id == m.SessionId && s.UserId == userId))
            .FirstOrDefaultAsync(cancellationToken);
        if (edited is null || edited.Sender != MessageSender.User)
        {
            return ChatProblem.NotFound();
        }
        var session = (await FindSessionAsync(db, userId, edited.SessionId, cancellationToken))!;
        var branch = await BranchAsync(db, session, cancellationToken);
        // The new wording keeps the files of the old one.
        var carried = (await db.MessageAttachments.AsNoTracking().Where(a => a.MessageId == edited.Id).OrderBy(a => a.Id).ToListAsync(cancellationToken))
            .Select(a => ChatAttachments.CopyFor(a, clock.GetUtcNow())).ToList();
        return await BeginAnswerAsync(db, session, branch with { Path = branch.Tree.Ancestors(branch.Tree.Find(edited.Id)!) }, text, cancellationToken,
            carried: carried);
    }

    /// <summary>Counts a send or a run started from a page (<see cref="LimitOptions.InteractiveActionsPerMinute"/>); the problem when over.</summary>
    public async Task<ChatProblem?> AdmitInteractiveAsync(Guid userId, CancellationToken cancellationToken = default) =>
        await rates.TryStartInteractiveAsync(userId, limits.Value.InteractiveActionsPerMinute, cancellationToken) is { } wait
            ? ChatProblem.TooFast(limits.Value.InteractiveActionsPerMinute, wait)
            : null;

    /// <summary>
    /// Stops the answer being written, here or on another instance; the text so far is kept and the message marked
    /// cancelled. False when the user has no answer being written there.
    /// </summary>
    public async Task<bool> StopAsync(Guid userId, Guid messageId, CancellationToken cancellationToken = default) =>
        runner.Stop(userId, messageId)
        || (await queue.OpenJobOfMessageAsync(userId, messageId, cancellationToken) is { } jobId
            && await queue.CancelAsync(userId, jobId, cancellationToken) is not null);

    /// <summary>Whether an open job (waiting, running here or elsewhere) is still to write <paramref name="messageId"/>.</summary>
    public async Task<bool> IsQueuedAsync(Guid userId, Guid messageId, CancellationToken cancellationToken = default) =>
        await queue.OpenJobOfMessageAsync(userId, messageId, cancellationToken) is not null;

    /// <summary>The problem a limit of the queue makes, in words that name the setting.</summary>
    internal ChatProblem ProblemOf(JobLimit limit) => limit switch
    {
        JobLimit.SessionBusy => ChatProblem.Busy(),
        JobLimit.OpenPerUser => ChatProblem.Limited(jobOptions.Value.MaxOpenPerUser),
        _ => ChatProblem.TooManyQuestions(jobOptions.Value.MaxQuestionsPerSession),
    };

    /// <summary>The job that writes <paramref name="plan"/>'s answer; <paramref name="claimHere"/> when this instance runs it at once.</summary>
    internal GenerationJob JobFor(AnswerPlan plan, JobKind kind, bool titleAfterAnswer, bool claimHere, int priority = 0, Guid? compareRunId = null)
    {
        var now = clock.GetUtcNow();
        var job = new GenerationJob
        {
            Id = Guid.CreateVersion7(now),
            Kind = kind,
            UserId = plan.Request.UserId,
            Priority = priority,
            MaxAttempts = jobOptions.Value.MaxAttempts,
            RunAfter = now,
            Payload = JobPayload.Of(plan.Request, titleAfterAnswer).ToJson(),
            SessionId = plan.AssistantMessage.SessionId,
            MessageId = plan.AssistantMessage.Id,
            CompareRunId = compareRunId,
            TraceId = plan.Request.TraceId ?? System.Diagnostics.Activity.Current?.TraceId.ToHexString(),
        };
        return claimHere ? queue.ClaimedOnArrival(job, worker.Name) : job;
    }

    /// <summary>
    /// Checks that the answer can start (nothing else writing here, the history fits the model, a free
    /// slot), saves the messages, then starts the generation. <paramref name="history"/> is what the model
    /// sees before <paramref name="newText"/> (its path), and the new messages follow its last one.
    /// </summary>
    private async Task<ChatResult<Exchange>> BeginAnswerAsync(
        AppDbContext db, ChatSession session, Branch branch, string? newText, CancellationToken cancellationToken,
        PromptUse? prompt = null, AnswerOrigin? origin = null, IReadOnlyList<NewAttachment>? files = null, List<MessageAttachment>? carried = null)
    {
        var history = branch.Path;
        origin ??= AnswerOrigin.Browser;
        // A question for the queue may wait for another instance; one answered here needs this one to stay. The job API's
        // per-minute limits apply when its job runs (a job over them waits and runs again), not when it is queued.
        if (origin.ClaimHere && !runner.IsAccepting)
        {
            return ChatProblem.Restarting();
        }
        if (origin.Source == UsageSource.Ui && await AdmitInteractiveAsync(session.UserId, cancellationToken) is { } tooFast)
        {
            return tooFast;
        }
        // A prompt's system prompt becomes the chat's when the chat has none; a chat's own stays.
        if (prompt?.SystemPrompt is { Length: > 0 } promptSystem && string.IsNullOrWhiteSpace(session.SystemPrompt))
        {
            if (promptSystem.Contains('\0', StringComparison.Ordinal))
            {
                return ChatProblem.Invalid("This prompt's system prompt contains a NUL character (from a variable?), which cannot be stored.");
            }
            if (promptSystem.Length > ChatRules.SystemPromptMaxLength)
            {
                return ChatProblem.Invalid($"This prompt's system prompt has {promptSystem.Length:N0} characters; a chat's can have at most {ChatRules.SystemPromptMaxLength:N0}.");
            }
            session.SystemPrompt = promptSystem;
        }
        var attached = new PreparedAttachments(carried ?? [], []);
        if (files is { Count: > 0 })
        {
            if (!ModelRef.TryParse(session.Model, out var model))
            {
                return ChatProblem.Invalid("Pick a model for this chat.");
            }
            var prepared = await attachments.PrepareAsync(session.UserId, session.Id, model, files, cancellationToken);
            if (prepared.Value is not { } ready)
            {
                return prepared.Problem!;
            }
            attached = ready;
        }
        var sent = false;
        try
        {
            var exchange = await BeginPreparedAnswerAsync(db, session, branch, newText, prompt, origin, attached.Files, cancellationToken);
            sent = exchange.Problem is null;
            return exchange;
        }
        finally
        {
            if (!sent)
            {
                await attachments.ForgetAsync(session.UserId, session.Id, attached.AddedDocuments, CancellationToken.None);
            }
        }
    }

    private async Task<ChatResult<Exchange>> BeginPreparedAnswerAsync(
        AppDbContext db, ChatSession session, Branch branch, string? newText, PromptUse? prompt, AnswerOrigin origin,
        List<MessageAttachment> attached, CancellationToken cancellationToken)
    {
        var history = branch.Path;
        var question = newText ?? history.LastOrDefault(m => m.Sender == MessageSender.User)?.Content;
        var sources = await RetrieveAsync(session, question, origin, cancellationToken);
        var historyFiles = await ChatAttachments.OfMessagesAsync(db, history.Select(m => m.Id).ToList(), cancellationToken);
        var planned = PlanAnswer(session, history, newText, branch.Tree.NextSequence, prompt?.VersionId, sources, parentId: history.LastOrDefault()?.Id,
            newFiles: attached, historyFiles: historyFiles);
        if (planned.Value is not { } plan)
        {
            return planned.Problem!;
        }
        var firstExchange = history.Count == 0;
        if (firstExchange && session.TitleIsProvisional && newText is not null)
        {
            session.Title = ChatRules.TitleFromFirstWords(newText);
        }
        session.LastActivityAt = clock.GetUtcNow();
        session.CurrentMessageId = plan.AssistantMessage.Id;
        if (plan.UserMessage is not null)
        {
            db.Messages.Add(plan.UserMessage);
            attached.ForEach(a => a.MessageId = plan.UserMessage.Id);
            db.MessageAttachments.AddRange(attached);
        }
        db.Messages.Add(plan.AssistantMessage);
        var titleAfter = firstExchange && session.TitleIsProvisional && Limits.GenerateTitles && newText is not null;
        var request = plan.Request with { Source = origin.Source, ApiKeyId = origin.ApiKeyId, AllowedModels = origin.AllowedModels, TraceId = origin.TraceId };
        var job = JobFor(plan with { Request = request }, JobKind.ChatAnswer, titleAfter, origin.ClaimHere, origin.Priority);
        db.GenerationJobs.Add(job);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await queue.CheckLimitsAsync(db, session.UserId, session.Id, newQuestion: newText is not null, cancellationToken) is { } limit)
            {
                return ProblemOf(limit);
            }
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another tab removed a message this action replaces.
            return ChatProblem.Busy();
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another tab sent into this chat at the same moment and took the sequence number.
            return ChatProblem.Busy();
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation })
        {
            // The chat was deleted (in another tab) while this message was on its way.
            return ChatProblem.NotFound();
        }

        if (origin.ClaimHere)
        {
            runner.Run(job);
        }
        return new Exchange(session.Id, plan.UserMessage?.Id, plan.AssistantMessage.Id, job.Id);
    }

    /// <summary>
    /// The passages of the chat's knowledge collections that best match <paramref name="question"/>, to be cited; null
    /// when the chat searches none. Collections deleted since they were attached are skipped.
    /// </summary>
    private async Task<RetrievedSources?> RetrieveAsync(ChatSession session, string? question, AnswerOrigin origin, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(question))
        {
            return null;
        }
        // The chat's own collection (its longer attachments) is searched with those the chat chose.
        var searched = await collections.FindChatCollectionAsync(session.UserId, session.Id, cancellationToken) is { } own
            ? [.. session.KnowledgeCollectionIds, own]
            : session.KnowledgeCollectionIds;
        if (searched.Length == 0)
        {
            return null;
        }
        var (result, _) = await knowledge.SearchAsync(new SearchRequest(session.UserId, searched, KnowledgeSearch.QueryOf(question), knowledgeOptions.Value.PassagesPerAnswer)
        {
            Source = origin.Source,
            ApiKeyId = origin.ApiKeyId,
            AllowedModels = origin.AllowedModels,
            SkipMissing = true,
        }, cancellationToken);
        return result is null ? null : new RetrievedSources(KnowledgeSearch.Citations(result), result.Took);
    }

    /// <summary>The messages and the gateway request of an answer, or why it cannot be asked for.</summary>
    internal ChatResult<AnswerPlan> PlanAnswer(ChatSession session, IReadOnlyList<Message> history, string? newText, int nextSequence, Guid? promptVersionId = null,
        RetrievedSources? sources = null, Guid? parentId = null, IReadOnlyList<MessageAttachment>? newFiles = null, ILookup<Guid, MessageAttachment>? historyFiles = null)
    {
        if (!ModelRef.TryParse(session.Model, out var model))
        {
            return ChatProblem.Invalid("Pick a model for this chat.");
        }
        var turns = new List<ConversationTurn>();
        // The sources go with the system prompt, which a long chat's trimming always keeps.
        if (CitationPrompt.SystemText(session.SystemPrompt, sources?.Citations ?? []) is { Length: > 0 } system)
        {
            turns.Add(Turn(MessageSender.System, system));
        }
        // Failed answers are not part of the conversation; stopped and interrupted ones are, as far as they got.
        // A model that cannot see images (the chat's model was changed since) gets the words of the turns without them.
        var seesImages = providers.Find(model.Provider)?.SeesImages(model.Model) == true;
        turns.AddRange(history
            .Where(m => m.Status != MessageStatus.Failed && m.Content.Length > 0)
            .Select(m => Turn(m.Sender, m.Content, historyFiles?[m.Id].ToList() ?? [], seesImages)));
        if (newText is not null)
        {
            turns.Add(Turn(MessageSender.User, newText, newFiles ?? [], seesImages));
        }

        var budget = InputBudget(model, session.MaxOutputTokens);
        var window = ConversationWindow.Trim(turns, budget);
        if (window is null && turns[0].Sender == MessageSender.System && turns[0].Tokens + ConversationWindow.OverheadPerTurn >= budget)
        {
            return ChatProblem.Invalid(
                $"The system prompt of this chat is too long for {model}: it takes about {turns[0].Tokens:N0} tokens and the model accepts about {budget:N0} here. Shorten it in the chat options.");
        }
        if (window is null)
        {
            return ChatProblem.Invalid(
                $"This message is too long for {model}: it takes about {turns[^1].Tokens:N0} tokens and the model accepts about {budget:N0} here. Shorten it or pick a model with a larger context.");
        }

        var now = clock.GetUtcNow();
        var userMessage = newText is null ? null : new Message
        {
            Id = Guid.CreateVersion7(now),
            SessionId = session.Id,
            ParentId = parentId,
            Sequence = nextSequence++,
            Sender = MessageSender.User,
            Content = newText,
            PromptVersionId = promptVersionId,
        };
        var assistant = new Message
        {
            Id = Guid.CreateVersion7(now),
            SessionId = session.Id,
            ParentId = userMessage?.Id ?? parentId,
            Sequence = nextSequence,
            Sender = MessageSender.Assistant,
            Status = MessageStatus.Streaming,
            Provider = model.Provider,
            Model = model.Model,
            Citations = sources is null ? null : CitationJson.Write(sources.Citations),
            RetrievalMs = sources is null ? null : (int)Math.Ceiling(sources.Took.TotalMilliseconds),
        };
        var request = new GatewayRequest
        {
            UserId = session.UserId,
            Model = model,
            Messages = window.Turns.Select(ToChatMessage).ToList(),
            Temperature = session.Temperature,
            MaxOutputTokens = session.MaxOutputTokens,
            Source = UsageSource.Ui,
            ChatSessionId = session.Id,
            // The answer is attributed to the prompt version its question came from, also on regenerate.
            PromptVersionId = userMessage?.PromptVersionId ?? history.LastOrDefault(m => m.Sender == MessageSender.User)?.PromptVersionId,
        };
        return new AnswerPlan(userMessage, assistant, request);
    }

    private ConversationTurn Turn(MessageSender sender, string text) => new(sender, text, tokens.Count(text));

    /// <summary>A message's turn with what its files add: the text of short documents, and images for a model that sees them.</summary>
    private ConversationTurn Turn(MessageSender sender, string text, IReadOnlyList<MessageAttachment> files, bool seesImages)
    {
        var fullText = text + string.Concat(files.Where(f => f.InlineText is not null).Select(f => AttachmentRules.Inline(f.FileName, f.InlineText!)));
        var images = seesImages ? files.Where(f => f.Kind == AttachmentKind.Image).Select(f => new TurnImage(f.ContentType, f.Data, f.Id)).ToList() : [];
        return new ConversationTurn(sender, fullText, tokens.Count(fullText) + images.Count * AttachmentRules.TokensPerImage, images.Count > 0 ? images : null);
    }

    /// <summary>The turn as Microsoft.Extensions.AI content: its text, then each image as <see cref="DataContent"/>.</summary>
    private static AiChatMessage ToChatMessage(ConversationTurn turn) => turn.Images is { Count: > 0 } images
        ? new AiChatMessage(RoleOf(turn.Sender), [new TextContent(turn.Text), .. images.Select(i => new DataContent(i.Data, i.MediaType)
        {
            // The job that sends it names the attachment instead of copying its bytes (JobPayload).
            AdditionalProperties = new() { [Jobs.JobPayload.AttachmentIdProperty] = i.AttachmentId },
        })])
        : new AiChatMessage(RoleOf(turn.Sender), turn.Text);

    /// <summary>Tokens the history may take: the model's window (configured, else the default) less room for the answer.</summary>
    private int InputBudget(ModelRef model, int? maxOutputTokens)
    {
        var window = providers.Find(model.Provider)?.FindModel(model.Model)?.ContextWindow ?? Limits.DefaultContextWindowTokens;
        var reserve = maxOutputTokens ?? Limits.AnswerReserveTokens;
        return Math.Max(window - reserve, window / 4);
    }

    private static AiChatRole RoleOf(MessageSender sender) => sender switch
    {
        MessageSender.User => AiChatRole.User,
        MessageSender.Assistant => AiChatRole.Assistant,
        _ => AiChatRole.System,
    };


    internal static Task<ChatSession?> FindSessionAsync(AppDbContext db, Guid userId, Guid sessionId, CancellationToken cancellationToken) =>
        db.ChatSessions.FirstOrDefaultAsync(s => s.Id == sessionId && s.UserId == userId, cancellationToken);

    /// <summary>Every message of the chat as a tree, and the branch ending at <paramref name="after"/> when it is one of them, else the one it shows.</summary>
    private static async Task<Branch> BranchAsync(AppDbContext db, ChatSession session, CancellationToken cancellationToken, Guid? after = null)
    {
        var tree = new ConversationTree(await db.Messages.Where(m => m.SessionId == session.Id).ToListAsync(cancellationToken));
        return new Branch(tree, tree.PathTo(after is { } leaf && tree.Find(leaf) is not null ? leaf : session.CurrentMessageId));
    }
}

/// <summary>A chat's messages (<see cref="Tree"/>) and the conversation a new message continues (<see cref="Path"/>).</summary>
internal sealed record Branch(ConversationTree Tree, IReadOnlyList<Message> Path)
{
    public static Branch Empty => new(new ConversationTree([]), []);
}

/// <summary>An answer ready to be saved and started: the new user message (none on regenerate), the assistant message and the call.</summary>
internal sealed record AnswerPlan(Message? UserMessage, Message AssistantMessage, GatewayRequest Request);

/// <summary>What a question found in its chat's knowledge collections, and how long the search took.</summary>
internal sealed record RetrievedSources(IReadOnlyList<Citation> Citations, TimeSpan Took);

/// <summary>
/// Where an answer is asked from: the browser (claimed by this instance at once, counted as UI use) or the job API
/// (queued by priority for any instance, counted as job use, bound to the caller's key).
/// </summary>
internal sealed record AnswerOrigin(bool ClaimHere, int Priority, UsageSource Source, Guid? ApiKeyId, IReadOnlySet<string>? AllowedModels, string? TraceId)
{
    public static readonly AnswerOrigin Browser = new(ClaimHere: true, Priority: 0, UsageSource.Ui, null, null, null);
}

/// <summary>A question for the queue: the chat (or a model for a new one), the text, and who asks with which key.</summary>
public sealed record QueuedQuestion(
    Guid? SessionId,
    string Message,
    string? Model = null,
    PromptUse? Prompt = null,
    int Priority = 0,
    Guid? ApiKeyId = null,
    IReadOnlySet<string>? AllowedModels = null,
    string? TraceId = null);

/// <summary>A message written from a library prompt: the version it came from, and that version's rendered system prompt.</summary>
public sealed record PromptUse(Guid? VersionId, string? SystemPrompt);
