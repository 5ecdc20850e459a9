using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>
/// Reading prompts: the library list, one prompt with its versions and labels, and per-version usage
/// figures. A caller sees their own prompts, public ones and the built-in ones; another user's
/// private prompt is "not found", and the attempt is logged.
/// </summary>
public sealed partial class PromptLibrary(IDbContextFactory<AppDbContext> contexts, ILogger<PromptLibrary> logger)
{
    public const int MaxListed = 200;

    public async Task<IReadOnlyList<PromptSummary>> ListAsync(Guid userId, PromptQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var prompts = db.Prompts.AsNoTracking().Where(p => p.OwnerId == userId || p.Visibility == PromptVisibility.Public);
        prompts = query.Scope switch
        {
            PromptScope.Mine => prompts.Where(p => p.OwnerId == userId),
            PromptScope.Public => prompts.Where(p => p.Visibility == PromptVisibility.Public),
            _ => prompts,
        };
        if (Normalize(query.Tag) is { } tag)
        {
            prompts = prompts.Where(p => p.Tags.Contains(tag));
        }
        if (LikePatterns.Containing(query.Search) is { } pattern)
        {
            prompts = prompts.Where(p => EF.Functions.ILike(p.Key, pattern, LikePatterns.Escape)
                || EF.Functions.ILike(p.Title, pattern, LikePatterns.Escape)
                || EF.Functions.ILike(p.Description, pattern, LikePatterns.Escape));
        }
        var listed = await (
            from p in prompts
            orderby p.UpdatedAt descending
            select new
            {
                p.OwnerId,
                Summary = new PromptSummary(
                    p.Id, p.Key, p.Title, p.Description, p.Tags, p.Visibility, "", p.OwnerId == userId, p.LatestVersion,
                    (from l in db.PromptLabels
                     join v in db.PromptVersions on l.VersionId equals v.Id
                     where l.PromptId == p.Id && l.Name == PromptLabel.Production
                     select (int?)v.Number).FirstOrDefault(),
                    p.UpdatedAt),
            })
            .Take(MaxListed)
            .ToListAsync(cancellationToken);
        var names = await OwnerNamesAsync(db, listed.Select(p => p.OwnerId), cancellationToken);
        var stored = listed.Select(p => p.Summary with { OwnerName = names.GetValueOrDefault(p.OwnerId, "") });

        var builtIn = query.Scope == PromptScope.Mine ? [] : CodePrompts.All.Where(p => Matches(p, query)).Select(Summary);
        return [.. builtIn, .. stored];
    }

    /// <summary>Every tag on a prompt the caller can see, for the library's filter.</summary>
    public async Task<IReadOnlyList<string>> TagsAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var tags = await db.Prompts.AsNoTracking()
            .Where(p => p.OwnerId == userId || p.Visibility == PromptVisibility.Public)
            .SelectMany(p => p.Tags)
            .Distinct()
            .ToListAsync(cancellationToken);
        return tags.Concat(CodePrompts.All.SelectMany(p => p.Tags)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A stored prompt with its versions and labels, if the caller may read it.</summary>
    public async Task<PromptResult<PromptView>> GetAsync(Guid userId, Guid promptId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var prompt = await db.Prompts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == promptId, cancellationToken);
        if (prompt is null)
        {
            return PromptProblem.NotFound();
        }
        if (prompt.OwnerId != userId && prompt.Visibility != PromptVisibility.Public)
        {
            LogRefused(userId, "read", promptId, "private prompt of another user");
            return PromptProblem.NotFound();
        }
        var versions = await db.PromptVersions.AsNoTracking()
            .Where(v => v.PromptId == promptId)
            .OrderByDescending(v => v.Number)
            .ToListAsync(cancellationToken);
        var labels = await db.PromptLabels.AsNoTracking()
            .Where(l => l.PromptId == promptId)
            .OrderBy(l => l.Name)
            .ToListAsync(cancellationToken);
        var names = await OwnerNamesAsync(db, [prompt.OwnerId], cancellationToken);
        return new PromptView(
            prompt.Id, prompt.Key, prompt.Title, prompt.Description, prompt.Tags, prompt.Visibility,
            names.GetValueOrDefault(prompt.OwnerId, ""), prompt.OwnerId == userId, versions, labels);
    }

    /// <summary>
    /// The display names of the owners of prompts the caller already sees: the one thing of another account's
    /// profile a public prompt shows, so only that column is read, across accounts.
    /// </summary>
    private static async Task<Dictionary<Guid, string>> OwnerNamesAsync(AppDbContext db, IEnumerable<Guid> owners, CancellationToken cancellationToken)
    {
        var ids = owners.Distinct().ToList();
        using var acrossAccounts = DataScope.AsSystem("display names of prompt owners");
        return await db.Profiles.Where(p => ids.Contains(p.Id)).Select(p => new { p.Id, p.DisplayName })
            .ToDictionaryAsync(p => p.Id, p => p.DisplayName, cancellationToken);
    }

    /// <summary>The id of the caller's own prompt with <paramref name="key"/>, if they have one.</summary>
    public async Task<Guid?> FindOwnIdAsync(Guid userId, string key, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var normalized = key.Trim().ToLowerInvariant();
        return await db.Prompts.AsNoTracking()
            .Where(p => p.OwnerId == userId && p.Key == normalized)
            .Select(p => (Guid?)p.Id)
            .FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>A built-in prompt, read-only.</summary>
    public static PromptView? GetBuiltIn(string key) => CodePrompts.Find(key) is { } prompt ? PromptView.FromCode(prompt) : null;

    /// <summary>
    /// Uses, average tokens, p95 latency, error rate and cost per version, from every call logged
    /// against it (one row per attempt). Only the owner sees them, as they count everyone's calls.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, PromptVersionStats>> StatsAsync(Guid userId, Guid promptId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Prompts.AnyAsync(p => p.Id == promptId && p.OwnerId == userId, cancellationToken))
        {
            return new Dictionary<Guid, PromptVersionStats>();
        }
        // Everyone's calls against the owner's prompt: aggregates only, across accounts.
        using var acrossAccounts = DataScope.AsSystem("use of the caller's own prompt");
        // Column names are snake_case: the naming convention also applies to raw query results.
        // A cache hit is a use, but it generated no tokens: it would pull the average down.
        var rows = await db.Database.SqlQuery<StatsRow>($"""
            SELECT u.prompt_version_id AS version_id,
                   count(*)::int AS uses,
                   coalesce(avg(u.input_tokens + u.output_tokens) FILTER (WHERE u.status <> 'CacheHit'), 0)::float8 AS average_tokens,
                   (percentile_cont(0.95) WITHIN GROUP (ORDER BY u.latency_ms))::int AS slow_latency_ms,
                   avg(CASE WHEN u.status = 'Error' THEN 1.0 ELSE 0.0 END)::float8 AS error_rate,
                   sum(u.cost_usd) AS cost_usd
            FROM prompt_usage_logs u
            JOIN prompt_versions v ON v.id = u.prompt_version_id
            WHERE v.prompt_id = {promptId}
            GROUP BY u.prompt_version_id
            """).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.VersionId, r => new PromptVersionStats(r.VersionId, r.Uses, r.AverageTokens, r.SlowLatencyMs, r.ErrorRate, r.CostUsd));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId} was refused to {Action} prompt {PromptId}: {Reason}")]
    internal partial void LogRefused(Guid userId, string action, Guid promptId, string reason);

    private static PromptSummary Summary(CodePrompt p) =>
        new(null, p.Key, p.Title, p.Description, p.Tags, PromptVisibility.Public, "MrPrompt", false, 1, null, null);

    private static bool Matches(CodePrompt prompt, PromptQuery query) =>
        !(query.ToSend && prompt.IsInternal)
        && (Normalize(query.Tag) is not { } tag || prompt.Tags.Contains(tag))
        && (string.IsNullOrWhiteSpace(query.Search)
            || new[] { prompt.Key, prompt.Title, prompt.Description }.Any(t => t.Contains(query.Search.Trim(), StringComparison.OrdinalIgnoreCase)));

    private static string? Normalize(string? tag) => string.IsNullOrWhiteSpace(tag) ? null : tag.Trim().ToLowerInvariant();

    private sealed class StatsRow
    {
        public Guid VersionId { get; set; }
        public int Uses { get; set; }
        public double AverageTokens { get; set; }
        /// <summary>The 95th percentile (a digit in the name would not survive the snake_case mapping).</summary>
        public int? SlowLatencyMs { get; set; }
        public double ErrorRate { get; set; }
        public decimal? CostUsd { get; set; }
    }
}
