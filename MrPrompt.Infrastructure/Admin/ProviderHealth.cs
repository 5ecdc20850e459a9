using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Middleware;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Admin;

/// <summary>How calls to one provider went over a window: attempts, the share that succeeded, and the p95 latency of those.</summary>
public sealed record HealthWindow(int Calls, double? SuccessRate, int? P95LatencyMs);

/// <summary>One provider's health (docs/contracts.md, "provider_health": computed, not a table), for admins.</summary>
public sealed record ProviderHealthRow(
    string Provider, string DisplayName, HealthWindow LastHour, HealthWindow LastDay, string? LastErrorCode, DateTimeOffset? LastErrorAt, CircuitState Circuit);

/// <summary>What "test now" found: the answer's first words and the time it took, or why it failed.</summary>
public sealed record ProviderProbe(bool Succeeded, string Message, TimeSpan Took);

/// <summary>
/// Provider health from the usage log (every attempt of every caller, rejected calls and cancellations
/// left out) and the live circuit breakers, plus a minimal test call. Admins only: each method takes an <see cref="AdminCaller"/>.
/// </summary>
public sealed class ProviderHealth(
    IDbContextFactory<AppDbContext> contexts, ProviderCatalog catalog, CircuitBreakerRegistry breakers, IChatGateway gateway, TimeProvider clock)
{
    public async Task<IReadOnlyList<ProviderHealthRow>> ReportAsync(AdminCaller admin, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Report");
        ArgumentNullException.ThrowIfNull(admin);
        var now = clock.GetUtcNow();
        var (hour, day) = (now.AddHours(-1), now.AddDays(-1));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stats = await db.Database.SqlQuery<StatsRow>($"""
            SELECT provider,
                   count(*) FILTER (WHERE executed_at >= {hour})::int AS hour_calls,
                   count(*) FILTER (WHERE executed_at >= {hour} AND status = 'Success')::int AS hour_successes,
                   (percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE executed_at >= {hour} AND status = 'Success'))::int AS hour_p95,
                   count(*)::int AS day_calls,
                   count(*) FILTER (WHERE status = 'Success')::int AS day_successes,
                   (percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE status = 'Success'))::int AS day_p95
            FROM prompt_usage_logs
            WHERE executed_at >= {day} AND attempt > 0 AND status IN ('Success', 'Error')
            GROUP BY provider
            """).ToDictionaryAsync(s => s.Provider, cancellationToken);
        var lastErrors = await db.Database.SqlQuery<LastErrorRow>($"""
            SELECT DISTINCT ON (provider) provider, error_code, executed_at
            FROM prompt_usage_logs
            WHERE executed_at >= {day} AND attempt > 0 AND status = 'Error'
            ORDER BY provider, executed_at DESC
            """).ToDictionaryAsync(e => e.Provider, cancellationToken);

        return catalog.All
            .Select(provider => new ProviderHealthRow(
                provider.Id,
                provider.DisplayName,
                stats.TryGetValue(provider.Id, out var s) ? Window(s.HourCalls, s.HourSuccesses, s.HourP95) : Window(0, 0, null),
                stats.TryGetValue(provider.Id, out s) ? Window(s.DayCalls, s.DaySuccesses, s.DayP95) : Window(0, 0, null),
                lastErrors.GetValueOrDefault(provider.Id)?.ErrorCode,
                lastErrors.GetValueOrDefault(provider.Id)?.ExecutedAt,
                CircuitOf(provider)))
            .OrderBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>A one-word call to the provider's default (or first) model with the operator's key, as <paramref name="admin"/>.</summary>
    public async Task<ProviderProbe> TestAsync(AdminCaller admin, string providerId, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Test");
        ArgumentNullException.ThrowIfNull(admin);
        var provider = catalog.Find(providerId);
        var model = provider?.DefaultModel ?? provider?.Models.FirstOrDefault()?.Id;
        if (provider is null || model is null)
        {
            return new ProviderProbe(false, "This provider has no default model to test with.", TimeSpan.Zero);
        }
        var started = Stopwatch.GetTimestamp();
        var outcome = await gateway.CompleteAsync(new GatewayRequest
        {
            UserId = admin.UserId,
            Model = new ModelRef(provider.Id, model),
            Messages = [new ChatMessage(ChatRole.User, "Reply with the single word OK.")],
            MaxOutputTokens = 5,
            Source = UsageSource.Background,
        }, cancellationToken);
        var took = Stopwatch.GetElapsedTime(started);
        return outcome.Result is { } result
            ? new ProviderProbe(true, $"{provider.DisplayName} answered \"{Shorten(result.Text)}\" with {model}.", took)
            : new ProviderProbe(false, outcome.Error!.Message, took);
    }

    /// <summary>The state of the breaker on the provider's system key: people's own keys have breakers of their own.</summary>
    private CircuitState CircuitOf(ProviderDefinition provider) =>
        breakers.For(new ProviderEndpoint(provider.Id, provider.DisplayName, provider.Kind, provider.BaseUrl, provider.SystemApiKey)).State;

    private static HealthWindow Window(int calls, int successes, int? p95) =>
        new(calls, calls == 0 ? null : (double)successes / calls, p95);

    private static string Shorten(string text) => text.Length <= 40 ? text.Trim() : text[..40].Trim() + "…";

    private sealed class StatsRow
    {
        public string Provider { get; set; } = "";
        public int HourCalls { get; set; }
        public int HourSuccesses { get; set; }
        public int? HourP95 { get; set; }
        public int DayCalls { get; set; }
        public int DaySuccesses { get; set; }
        public int? DayP95 { get; set; }
    }

    private sealed class LastErrorRow
    {
        public string Provider { get; set; } = "";
        public string? ErrorCode { get; set; }
        public DateTimeOffset ExecutedAt { get; set; }
    }
}
