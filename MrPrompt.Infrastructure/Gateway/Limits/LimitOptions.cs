using System.ComponentModel.DataAnnotations;
using MrPrompt.Domain.Accounts;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>
/// The <c>Limits</c> section: requests and tokens per minute for each user (by role) and each API key,
/// and the monthly budget. <c>CHAT_RATE_LIMIT_PER_MIN</c> sets the default requests per minute (docs/contracts.md, "Environment variables").
/// </summary>
public sealed class LimitOptions
{
    public const string SectionName = "Limits";

    /// <summary>The environment variable for the default requests per minute per user (docs/contracts.md, "Environment variables").</summary>
    public const string RequestsPerMinuteVariable = "CHAT_RATE_LIMIT_PER_MIN";

    [Range(1, int.MaxValue)]
    public int RequestsPerMinute { get; set; } = 60;

    [Range(1, long.MaxValue)]
    public long TokensPerMinute { get; set; } = 200_000;

    /// <summary>Per-role overrides, by role name (User, Author, Admin); unset values fall back to the defaults above.</summary>
    public Dictionary<string, RoleLimits> Roles { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Each API key's own limits, on top of its user's; unset means the user's limits.</summary>
    [Range(1, int.MaxValue)]
    public int? ApiKeyRequestsPerMinute { get; set; }

    [Range(1, long.MaxValue)]
    public long? ApiKeyTokensPerMinute { get; set; }

    /// <summary>
    /// Calls one person may have under way at once, across chat, compare (each column), the playground and
    /// the API; background work is not counted.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxOpenCallsPerUser { get; set; } = 8;

    /// <summary>
    /// Sends and compare runs one person may start from the pages in a minute. Each saves messages before
    /// its call reaches the gateway's limits, so a script on a page could otherwise fill the database.
    /// </summary>
    [Range(1, 100_000)]
    public int InteractiveActionsPerMinute { get; set; } = 60;

    /// <summary>Monthly USD cap for users without one of their own; unset means no cap.</summary>
    [Range(0, 1_000_000)]
    public decimal? DefaultMonthlyBudgetUsd { get; set; }

    /// <summary>
    /// The price (USD per million tokens, in and out) a budget counts a model with no known price at; unset,
    /// such models are refused to anyone with a budget, since $0 would let them spend without limit.
    /// </summary>
    [Range(0.000001, 1_000_000)]
    public decimal? UnknownModelPriceUsdPerMillion { get; set; }

    /// <summary>The price budgets count a model with no known price at, if one is set.</summary>
    public Domain.Providers.ModelPrice? UnknownModelPrice =>
        UnknownModelPriceUsdPerMillion is { } perMillion ? new Domain.Providers.ModelPrice(perMillion, perMillion) : null;

    /// <summary>Output tokens assumed when reserving budget for a call that sets no max_tokens.</summary>
    [Range(1, 1_000_000)]
    public int BudgetReserveOutputTokens { get; set; } = 4096;

    public int RequestsPerMinuteFor(string role) =>
        Roles.TryGetValue(role, out var limits) && limits.RequestsPerMinute is { } rpm ? rpm : RequestsPerMinute;

    public long TokensPerMinuteFor(string role) =>
        Roles.TryGetValue(role, out var limits) && limits.TokensPerMinute is { } tpm ? tpm : TokensPerMinute;

    /// <summary>The role whose limits apply to someone holding <paramref name="roles"/>: the most trusted one.</summary>
    public static string EffectiveRole(IEnumerable<string> roles)
    {
        var held = roles.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return AppRoles.All.FirstOrDefault(held.Contains) ?? AppRoles.User;
    }
}

public sealed class RoleLimits
{
    [Range(1, int.MaxValue)]
    public int? RequestsPerMinute { get; set; }

    [Range(1, long.MaxValue)]
    public long? TokensPerMinute { get; set; }
}
