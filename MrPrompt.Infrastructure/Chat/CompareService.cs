using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Chat;

/// <summary>A saved compare run, for the list.</summary>
public sealed record CompareRunSummary(Guid Id, string Prompt, IReadOnlyList<string> Models, DateTimeOffset CreatedAt);

/// <summary>A column of a compare run: its session, the answer (the last message) and the state of the job writing it.</summary>
public sealed record CompareColumn(ChatSession Session, Message? Answer, JobStatus? Job = null);

/// <summary>
/// A compare asked by a program (<c>POST /api/compare</c>): the columns' system prompt and temperature, and the key it
/// came with. Its columns wait in the queue for any instance, and the run expires after <c>Jobs__CompareResultHours</c>.
/// </summary>
public sealed record QueuedCompare(string? SystemPrompt, float? Temperature, Guid? ApiKeyId, IReadOnlySet<string>? AllowedModels, string? TraceId);

public sealed record CompareRunView(CompareRun Run, IReadOnlyList<CompareColumn> Columns);

/// <summary>
/// Sends one prompt to several models at once (docs/contracts.md, "Compare runs"). Every column is its own session and its own
/// generation, so a slow or failing provider never holds up the others, and each column survives a
/// closed browser like any chat.
/// </summary>
public sealed class CompareService(
    IDbContextFactory<AppDbContext> contexts, ChatService chat, GenerationRunner runner, JobQueue queue,
    Microsoft.Extensions.Options.IOptions<JobOptions> jobOptions, TimeProvider clock)
{
    private const int ListLength = 50;

    /// <summary>Starts a run from the page: its columns are claimed by this instance at once and the run is kept.</summary>
    public Task<ChatResult<Guid>> StartAsync(Guid userId, string prompt, IReadOnlyList<string> models, CancellationToken cancellationToken = default) =>
        StartAsync(userId, prompt, models, queued: null, cancellationToken);

    /// <summary>Starts a run; with <paramref name="queued"/>, as a program's compare (see <see cref="QueuedCompare"/>).</summary>
    public async Task<ChatResult<Guid>> StartAsync(Guid userId, string prompt, IReadOnlyList<string> models, QueuedCompare? queued, CancellationToken cancellationToken = default)
    {
        if (Validate(prompt, models) is { } invalid)
        {
            return ChatProblem.Invalid(invalid);
        }
        if (queued?.SystemPrompt?.Contains('\0', StringComparison.Ordinal) == true)
        {
            return ChatProblem.Invalid("The system prompt contains a NUL character, which cannot be stored.");
        }
        if (queued?.SystemPrompt is { Length: > ChatRules.SystemPromptMaxLength } system)
        {
            return ChatProblem.Invalid($"The system prompt has {system.Length:N0} characters; it can have at most {ChatRules.SystemPromptMaxLength:N0}.");
        }
        if (queued?.AllowedModels is { } allowed && models.Select(Normalized).FirstOrDefault(m => !allowed.Contains(m)) is { } refused)
        {
            return ChatProblem.Invalid($"This API key may not use {refused}.");
        }
        var now = clock.GetUtcNow();
        var run = new CompareRun
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            Prompt = prompt,
            Models = models.Select(Normalized).ToList(),
            ExpiresAt = queued is null ? null : now + TimeSpan.FromHours(jobOptions.Value.CompareResultHours),
        };
        var columns = new List<(ChatSession Session, AnswerPlan Plan)>();
        foreach (var (model, position) in run.Models.Select((m, i) => (m, i)))
        {
            var session = new ChatSession
            {
                // A millisecond apart: ids sort in column order (past its time a version 7 id is random).
                Id = Guid.CreateVersion7(now.AddMilliseconds(position)),
                UserId = userId,
                Model = model,
                CompareRunId = run.Id,
                Title = ChatRules.TitleFromFirstWords(prompt),
                LastActivityAt = now,
                SystemPrompt = queued?.SystemPrompt,
                Temperature = queued?.Temperature,
            };
            var planned = chat.PlanAnswer(session, [], prompt, nextSequence: 1);
            if (planned.Value is not { } plan)
            {
                return planned.Problem!;
            }
            columns.Add((session, plan));
        }

        if (queued is null && !runner.IsAccepting)
        {
            return ChatProblem.Restarting();
        }
        if (queued is null && await chat.AdmitInteractiveAsync(userId, cancellationToken) is { } tooFast)
        {
            return tooFast;
        }
        var jobs = columns.Select(c => chat.JobFor(
            queued is null ? c.Plan : c.Plan with
            {
                Request = c.Plan.Request with { Source = UsageSource.Job, ApiKeyId = queued.ApiKeyId, AllowedModels = queued.AllowedModels, TraceId = queued.TraceId },
            },
            JobKind.CompareColumn, titleAfterAnswer: false, claimHere: queued is null, compareRunId: run.Id)).ToList();
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // The run is one action: it takes one place in the user's open jobs, however many columns it has.
            if (await queue.CheckLimitsAsync(db, userId, columns[0].Session.Id, newQuestion: false, cancellationToken) is { } limit)
            {
                return chat.ProblemOf(limit);
            }
            db.CompareRuns.Add(run);
            foreach (var (session, plan) in columns)
            {
                db.ChatSessions.Add(session);
                db.Messages.AddRange(plan.UserMessage!, plan.AssistantMessage);
            }
            db.GenerationJobs.AddRange(jobs);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        foreach (var job in jobs.Where(j => j.Status == JobStatus.Processing))
        {
            runner.Run(job);
        }
        return run.Id;
    }

    public async Task<IReadOnlyList<CompareRunSummary>> ListAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return await db.CompareRuns.Where(r => r.UserId == userId && (r.ExpiresAt == null || r.ExpiresAt > now))
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
            .Take(ListLength)
            .Select(r => new CompareRunSummary(r.Id, r.Prompt, r.Models, r.CreatedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<CompareRunView?> GetAsync(Guid userId, Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var run = await db.CompareRuns.AsNoTracking()
            .FirstOrDefaultAsync(r => r.Id == runId && r.UserId == userId && (r.ExpiresAt == null || r.ExpiresAt > now), cancellationToken);
        if (run is null)
        {
            return null;
        }
        var sessions = await db.ChatSessions.AsNoTracking().Where(s => s.CompareRunId == runId && s.UserId == userId).ToListAsync(cancellationToken);
        var sessionIds = sessions.Select(s => s.Id).ToList();
        // Jobs before answers: a job read as ended always comes with its saved answer (they commit together), never with
        // the answer as it was a moment before.
        var jobs = await db.GenerationJobs.AsNoTracking().Where(j => j.CompareRunId == runId)
            .ToDictionaryAsync(j => j.MessageId!.Value, j => j.Status, cancellationToken);
        var answers = await db.Messages.AsNoTracking()
            .Where(m => sessionIds.Contains(m.SessionId) && m.Sender == MessageSender.Assistant)
            .ToListAsync(cancellationToken);
        // A model may fill several columns: each takes the next unused session of its model, in the
        // order they were made, so every view shows each column where it was asked for.
        var unused = sessions.OrderBy(s => s.Id).ToList();
        var columns = new List<CompareColumn>();
        foreach (var model in run.Models)
        {
            if (unused.FirstOrDefault(s => s.Model == model) is { } session)
            {
                unused.Remove(session);
                var answer = answers.Where(a => a.SessionId == session.Id).MaxBy(a => a.Sequence);
                columns.Add(new CompareColumn(session, answer, answer is not null && jobs.TryGetValue(answer.Id, out var job) ? job : null));
            }
        }
        return new CompareRunView(run, columns);
    }

    private string? Validate(string prompt, IReadOnlyList<string> models)
    {
        if (chat.ValidateMessage(prompt) is { } invalid)
        {
            return invalid;
        }
        if (models.Count is < ChatRules.MinCompareModels or > ChatRules.MaxCompareModels)
        {
            return $"Pick {ChatRules.MinCompareModels} to {ChatRules.MaxCompareModels} models to compare.";
        }
        // One model in several columns is allowed: it shows how much its answers vary (and lets a
        // fresh install with only the offline demo try the page).
        return models.Any(m => !ModelRef.TryParse(m, out _)) ? "Pick a model for every column." : null;
    }

    private static string Normalized(string model) => ModelRef.TryParse(model, out var parsed) ? parsed.ToString() : model.Trim();
}
