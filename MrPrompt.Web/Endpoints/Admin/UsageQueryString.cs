using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using MrPrompt.Domain.Usage;

namespace MrPrompt.Web.Endpoints.Admin;

/// <summary>
/// A usage filter as query-string parameters (<c>from</c>, <c>to</c>, <c>user</c>, <c>provider</c>,
/// <c>model</c>, <c>prompt</c>, <c>version</c>, <c>status</c>, <c>source</c>): how the usage page
/// links its CSV export and how the admin API reads a filter, so both mean the same rows.
/// </summary>
public static class UsageQueryString
{
    public static string Of(UsageFilter filter)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["from"] = filter.From.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["to"] = filter.To.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["user"] = filter.UserId?.ToString(),
            ["provider"] = filter.Provider,
            ["model"] = filter.Model,
            ["prompt"] = filter.PromptVersionId is null ? filter.PromptId?.ToString() : null,
            ["version"] = filter.PromptVersionId?.ToString(),
            ["status"] = filter.Status?.ToString(),
            ["source"] = filter.Source?.ToString(),
        };
        return QueryHelpers.AddQueryString("", parameters.Where(p => !string.IsNullOrEmpty(p.Value)));
    }

    /// <summary>
    /// The filter a request asks for, or what is wrong with it by parameter. <c>to</c> defaults to
    /// <paramref name="now"/> (included) and <c>from</c> to the usage page's default range before it.
    /// </summary>
    public static (UsageFilter? Filter, Dictionary<string, string[]> Errors) Parse(UsageFilterParameters query, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var to = Time(query.To, "to", errors) ?? UsageRanges.Ending(UsageRanges.Default, now).To;
        var from = Time(query.From, "from", errors) ?? to - UsageRanges.Length(UsageRanges.Default);
        var filter = new UsageFilter(from, to)
        {
            UserId = Id(query.User, "user", errors),
            Provider = Text(query.Provider),
            Model = Text(query.Model),
            PromptId = Id(query.Prompt, "prompt", errors),
            PromptVersionId = Id(query.Version, "version", errors),
            Status = Name<UsageStatus>(query.Status, "status", errors),
            Source = Name<UsageSource>(query.Source, "source", errors),
        };
        foreach (var (field, messages) in filter.Validate().ByField)
        {
            errors.TryAdd(field, messages.ToArray());
        }
        return errors.Count == 0 ? (filter, errors) : (null, errors);
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DateTimeOffset? Time(string? value, string name, Dictionary<string, string[]> errors)
    {
        if (Text(value) is not { } text)
        {
            return null;
        }
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            errors[name] = [$"'{text}' is not a time: use ISO 8601, such as 2026-11-30T09:00:00Z."];
            return null;
        }
        if (time < UsageFilter.Earliest || time > UsageFilter.Latest)
        {
            errors[name] = ["Choose times between the years 2000 and 2999."];
            return null;
        }
        return time.ToUniversalTime();
    }

    private static Guid? Id(string? value, string name, Dictionary<string, string[]> errors)
    {
        if (Text(value) is not { } text)
        {
            return null;
        }
        if (Guid.TryParse(text, out var id))
        {
            return id;
        }
        errors[name] = [$"'{text}' is not an id."];
        return null;
    }

    /// <summary>One of <typeparamref name="T"/>'s names, any case; anything else (a number too) is an error under <paramref name="name"/>.</summary>
    public static T? Name<T>(string? value, string name, Dictionary<string, string[]> errors) where T : struct, Enum
    {
        if (Text(value) is not { } text)
        {
            return null;
        }
        // Names only: Enum.TryParse would also take "7" for a value that does not exist.
        if (Enum.GetNames<T>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } known)
        {
            return Enum.Parse<T>(known);
        }
        errors[name] = [$"'{text}' is not one of: {string.Join(", ", Enum.GetNames<T>())}."];
        return null;
    }
}

/// <summary>The query-string parameters of a usage filter, as <see cref="UsageQueryString"/> reads and writes them.</summary>
/// <param name="From">Start of the range, ISO 8601 (default: 24 hours before <paramref name="To"/>).</param>
/// <param name="To">End of the range, excluded, ISO 8601 (default: now).</param>
/// <param name="User">An account id.</param>
/// <param name="Provider">A provider id, such as <c>openai</c>.</param>
/// <param name="Model">A model id, such as <c>gpt-4o-mini</c>.</param>
/// <param name="Prompt">A prompt id: calls of any of its versions.</param>
/// <param name="Version">A prompt version id.</param>
/// <param name="Status">Success, Error, Cancelled or CacheHit.</param>
/// <param name="Source">Ui, Api or Background.</param>
public sealed record UsageFilterParameters(
    string? From = null, string? To = null, string? User = null, string? Provider = null, string? Model = null,
    string? Prompt = null, string? Version = null, string? Status = null, string? Source = null);
