using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Chat;

/// <summary>A saved compare run, for the list.</summary>
public sealed record CompareRunSummary(Guid Id, string Prompt, IReadOnlyList<string> Models, DateTimeOffset CreatedAt);

/// <summary>A column of a compare run: its session and the answer (the last message).</summary>
public sealed record CompareColumn(ChatSession Session, Message? Answer);

public sealed record CompareRunView(CompareRun Run, IReadOnlyList<CompareColumn> Columns);

/// <summary>
/// Sends one prompt to several models at once (docs/contracts.md, "Compare runs"). Every column is its own session and its own
/// generation, so a slow or failing provider never holds up the others, and each column survives a
/// closed browser like any chat.
/// </summary>
public sealed class CompareService(IDbContextFactory<AppDbContext> contexts, ChatService chat, GenerationRunner runner, JobQueue queue, TimeProvider clock)
{
    private const int ListLength = 50;

    public async Task<ChatResult<Guid>> StartAsync(Guid userId, string prompt, IReadOnlyList<string> models, CancellationToken cancellationToken = default)
    {
        if (Validate(prompt, models) is { } invalid)
        {
            return ChatProblem.Invalid(invalid);
        }
        var now = clock.GetUtcNow();
        var run = new CompareRun { Id = Guid.CreateVersion7(now), UserId = userId, Prompt = prompt, Models = models.Select(Normalized).ToList() };
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
            };
            var planned = chat.PlanAnswer(session, [], prompt, nextSequence: 1);
            if (planned.Value is not { } plan)
            {
                return planned.Problem!;
            }
            columns.Add((session, plan));
        }

        if (!runner.IsAccepting)
        {
            return ChatProblem.Restarting();
        }
        if (chat.AdmitInteractive(userId) is { } tooFast)
        {
            return tooFast;
        }
        var jobs = columns.Select(c => chat.JobFor(c.Plan, JobKind.CompareColumn, titleAfterAnswer: false, claimHere: true, compareRunId: run.Id)).ToList();
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
        foreach (var job in jobs)
        {
            runner.Run(job);
        }
        return run.Id;
    }

    public async Task<IReadOnlyList<CompareRunSummary>> ListAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.CompareRuns.Where(r => r.UserId == userId)
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
            .Take(ListLength)
            .Select(r => new CompareRunSummary(r.Id, r.Prompt, r.Models, r.CreatedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<CompareRunView?> GetAsync(Guid userId, Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.CompareRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId && r.UserId == userId, cancellationToken);
        if (run is null)
        {
            return null;
        }
        var sessions = await db.ChatSessions.AsNoTracking().Where(s => s.CompareRunId == runId && s.UserId == userId).ToListAsync(cancellationToken);
        var sessionIds = sessions.Select(s => s.Id).ToList();
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
                columns.Add(new CompareColumn(session, answers.Where(a => a.SessionId == session.Id).MaxBy(a => a.Sequence)));
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
