using MrPrompt.Domain.Usage;
using Npgsql;
using NpgsqlTypes;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>
/// The SQL that every usage question shares: the WHERE clause of a filter (with new parameter objects
/// for each command, as Npgsql binds a parameter to one command) and the aggregate columns of
/// <see cref="UsageTotals"/>. Only values travel as parameters; the text is fixed here.
/// </summary>
internal static class UsageSql
{
    /// <summary>The columns of <see cref="UsageTotals"/>, over rows aliased <c>u</c>.</summary>
    public const string Aggregates = """
        count(*) AS requests,
        coalesce(sum(u.input_tokens), 0)::bigint AS input_tokens,
        coalesce(sum(u.output_tokens), 0)::bigint AS output_tokens,
        coalesce(sum(u.cost_usd), 0) AS cost_usd,
        count(*) FILTER (WHERE u.cost_usd IS NULL AND u.input_tokens + u.output_tokens > 0) AS unpriced_requests,
        count(*) FILTER (WHERE u.status = 'Error') AS errors,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY u.latency_ms) FILTER (WHERE u.attempt > 0) AS latency_p50ms,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY u.latency_ms) FILTER (WHERE u.attempt > 0) AS latency_p95ms,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY u.time_to_first_token_ms) AS time_to_first_token_p50ms,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY u.time_to_first_token_ms) AS time_to_first_token_p95ms
        """;

    /// <summary>
    /// Rows as <see cref="UsageRow"/> reads them, with the names of their user, key and prompt, from
    /// <paramref name="rows"/>: a subquery (aliased <c>u</c>) that has already filtered, ordered and cut
    /// them, so names are looked up for the rows shown, not for every row in range.
    /// </summary>
    public static string Rows(string rows) => $"""
        SELECT u.id, u.executed_at, u.trace_id, u.user_id, usr.email AS user_email, u.source, u.api_key_id, k.name AS api_key_name,
               u.provider, u.model, u.prompt_version_id, p.key AS prompt_key, v.number AS prompt_version, u.status, u.error_code,
               u.attempt, u.input_tokens, u.output_tokens, u.tokens_estimated, u.cost_usd, u.latency_ms, u.time_to_first_token_ms,
               u.chat_session_id
        FROM ({rows}) u
        LEFT JOIN users usr ON usr.id = u.user_id
        LEFT JOIN personal_api_keys k ON k.id = u.api_key_id
        LEFT JOIN prompt_versions v ON v.id = u.prompt_version_id
        LEFT JOIN prompts p ON p.id = v.prompt_id
        """;

    public static (string Where, NpgsqlParameter[] Parameters) Where(UsageFilter filter)
    {
        var conditions = new List<string> { "u.executed_at >= @from", "u.executed_at < @to" };
        var parameters = new List<NpgsqlParameter>
        {
            new("from", NpgsqlDbType.TimestampTz) { Value = filter.From.UtcDateTime },
            new("to", NpgsqlDbType.TimestampTz) { Value = filter.To.UtcDateTime },
        };
        void Add(string condition, string name, NpgsqlDbType type, object value)
        {
            conditions.Add(condition);
            parameters.Add(new NpgsqlParameter(name, type) { Value = value });
        }

        if (filter.UserId is { } user)
        {
            Add("u.user_id = @user", "user", NpgsqlDbType.Uuid, user);
        }
        if (!string.IsNullOrEmpty(filter.Provider))
        {
            Add("u.provider = @provider", "provider", NpgsqlDbType.Varchar, filter.Provider);
        }
        if (!string.IsNullOrEmpty(filter.Model))
        {
            Add("u.model = @model", "model", NpgsqlDbType.Varchar, filter.Model);
        }
        if (filter.PromptVersionId is { } version)
        {
            Add("u.prompt_version_id = @version", "version", NpgsqlDbType.Uuid, version);
        }
        else if (filter.PromptId is { } prompt)
        {
            Add("u.prompt_version_id IN (SELECT pv.id FROM prompt_versions pv WHERE pv.prompt_id = @prompt)", "prompt", NpgsqlDbType.Uuid, prompt);
        }
        if (filter.Status is { } status)
        {
            Add("u.status = @status", "status", NpgsqlDbType.Varchar, status.ToString());
        }
        if (filter.Source is { } source)
        {
            Add("u.source = @source", "source", NpgsqlDbType.Varchar, source.ToString());
        }
        return (string.Join(" AND ", conditions), parameters.ToArray());
    }

    /// <summary>
    /// The ORDER BY of a page: the asked column (rows without a value last), then the id, so equal values
    /// keep one order across pages. Time is never null: saying nothing of nulls there lets Postgres read
    /// the newest rows straight off the time index instead of sorting the whole range.
    /// </summary>
    public static string OrderBy(UsageSort sort, bool descending)
    {
        var column = sort switch
        {
            UsageSort.ExecutedAt => "u.executed_at",
            UsageSort.LatencyMs => "u.latency_ms",
            UsageSort.TimeToFirstTokenMs => "u.time_to_first_token_ms",
            UsageSort.InputTokens => "u.input_tokens",
            UsageSort.OutputTokens => "u.output_tokens",
            UsageSort.CostUsd => "u.cost_usd",
            _ => throw new ArgumentOutOfRangeException(nameof(sort), sort, null),
        };
        var direction = descending ? "DESC" : "ASC";
        var nulls = sort is UsageSort.TimeToFirstTokenMs or UsageSort.CostUsd ? " NULLS LAST" : "";
        return $"{column} {direction}{nulls}, u.id {direction}";
    }

    /// <summary>The key a breakdown groups by, how it reads as text, the label people see and what the label needs joined.</summary>
    public static (string Key, string KeyText, string Label, string Joins) Grouping(UsageGrouping grouping) => grouping switch
    {
        // "C" ordering compares bytes: grouping by text this way skips the locale's slow collation.
        UsageGrouping.Provider => ("u.provider COLLATE \"C\"", "g.key", "g.key", ""),
        UsageGrouping.Model => ("(u.provider || '/' || u.model) COLLATE \"C\"", "g.key", "g.key", ""),
        UsageGrouping.User => ("u.user_id", "g.key::text", "coalesce(usr.email, g.key::text)", "LEFT JOIN users usr ON usr.id = g.key"),
        UsageGrouping.PromptVersion => ("u.prompt_version_id", "coalesce(g.key::text, '')",
            "CASE WHEN g.key IS NULL THEN 'no prompt' ELSE coalesce(p.key || ' v' || v.number, 'deleted prompt') END",
            "LEFT JOIN prompt_versions v ON v.id = g.key LEFT JOIN prompts p ON p.id = v.prompt_id"),
        _ => throw new ArgumentOutOfRangeException(nameof(grouping), grouping, null),
    };
}
