using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Usage;
using Npgsql;

namespace MrPrompt.Infrastructure.Gateway.Limits;

/// <summary>
/// The gateway's checks before a call may reach a provider, the same for the UI and the API: the
/// caller's requests and tokens per minute (and their API key's), then their monthly budget, for which
/// the call's most expensive possible outcome is reserved. Background work (chat titles) is never
/// refused, but what it costs still counts towards the month.
/// </summary>
public sealed partial class CallAdmission(
    CallerAllowances allowances, CallRateLimits rates, BudgetLedger budget, CallerCounters counters, ITokenCounter tokens, IOptionsMonitor<LimitOptions> options,
    ILogger<CallAdmission> logger)
{
    private readonly ConcurrentDictionary<Guid, int> _open = new();

    /// <summary>An admitted call: settle it with what it used, once, however it ended.</summary>
    public sealed class Ticket(
        CallRateLimits rates, BudgetLedger budget, CallerCounters counters, ILogger logger, GatewayRequest request, BudgetLedger.Reservation? reservation, ModelPrice? unknownModelPrice, Action? close = null)
    {
        private int _settled;

        /// <summary>
        /// Counts what the call used against the caller's token windows and month, in one round trip (all or nothing, tried
        /// twice; then the month alone, so a window that cannot be told does not keep the reservation held). A failure to
        /// count is logged, not thrown (an unsettled reservation is let go within the hour).
        /// </summary>
        public async Task SettleAsync((long Tokens, decimal Cost, long UnpricedTokens) spent)
        {
            if (Interlocked.Exchange(ref _settled, 1) == 1)
            {
                return;
            }
            close?.Invoke();
            var (tokensUsed, cost, unpricedTokens) = spent;
            cost += unknownModelPrice?.CostOf(unpricedTokens, 0) ?? 0;
            // Made afresh for each attempt: a command belongs to the batch it was sent in.
            NpgsqlBatchCommand? Tokens() => request.Source == UsageSource.Background ? null : rates.RecordTokens(request.UserId, request.ApiKeyId, tokensUsed);
            NpgsqlBatchCommand? Month() => budget.Settle(request.UserId, reservation, cost);
            Func<NpgsqlBatchCommand?[]>[] attempts = [() => [Tokens(), Month()], () => [Tokens(), Month()], () => [Month()]];
            Exception? failure = null;
            for (var attempt = 0; attempt < attempts.Length; attempt++)
            {
                var commands = attempts[attempt]().OfType<NpgsqlBatchCommand>().ToArray();
                if (commands.Length == 0)
                {
                    break;
                }
                try
                {
                    await counters.RunAsync(new DataActor(request.UserId, null), commands, CancellationToken.None);
                    if (attempt < attempts.Length - 1)
                    {
                        return; // everything counted
                    }
                    break; // the month is, the tokens are not
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    failure = ex;
                }
            }
            if (failure is not null)
            {
                LogSettleFailed(logger, failure);
            }
        }
    }

    /// <summary>
    /// Takes a request's place in the per-minute limits where a request comes in, before anything is
    /// rendered or looked up, so every request counts, whatever answers it; null when it may go on.
    /// </summary>
    public async Task<GatewayError?> CountRequestAsync(Guid userId, Guid? apiKeyId, CancellationToken cancellationToken)
    {
        var limits = options.CurrentValue;
        var allowance = await allowances.ForAsync(userId, cancellationToken);
        return allowance.Disabled ? GatewayError.AccountDisabled()
            : await rates.TryAdmitAsync(userId, apiKeyId, allowance, limits.ApiKeyRequestsPerMinute, limits.ApiKeyTokensPerMinute, cancellationToken);
    }

    public async Task<(Ticket? Ticket, GatewayError? Refusal)> AdmitAsync(
        GatewayRequest request, IReadOnlyList<GatewayTarget> targets, CancellationToken cancellationToken)
    {
        var limits = options.CurrentValue;
        var allowance = await allowances.ForAsync(request.UserId, cancellationToken);
        if (allowance.Disabled)
        {
            return (null, GatewayError.AccountDisabled());
        }
        if (request.Source == UsageSource.Background)
        {
            return (new Ticket(rates, budget, counters, logger, request, null, limits.UnknownModelPrice), null);
        }
        if (!request.RequestCounted
            && await rates.TryAdmitAsync(request.UserId, request.ApiKeyId, allowance, limits.ApiKeyRequestsPerMinute, limits.ApiKeyTokensPerMinute, cancellationToken) is { } limited)
        {
            return (null, limited);
        }
        if (!TryOpen(request.UserId, limits.MaxOpenCallsPerUser))
        {
            return (null, GatewayError.UsageLimited($"your limit of {limits.MaxOpenCallsPerUser} answers being written at once", TimeSpan.FromSeconds(1)));
        }
        var close = () => Close(request.UserId);
        try
        {
            var (ticket, refusal) = await AdmitWithinBudgetAsync(request, targets, allowance, limits, close, cancellationToken);
            if (ticket is null)
            {
                close();
            }
            return (ticket, refusal);
        }
        catch
        {
            close();
            throw;
        }
    }

    private async Task<(Ticket? Ticket, GatewayError? Refusal)> AdmitWithinBudgetAsync(
        GatewayRequest request, IReadOnlyList<GatewayTarget> targets, CallerAllowance allowance, LimitOptions limits, Action close, CancellationToken cancellationToken)
    {
        if (allowance.MonthlyBudgetUsd is not { } cap)
        {
            return (new Ticket(rates, budget, counters, logger, request, null, limits.UnknownModelPrice, close), null);
        }
        // A model of unknown price would reserve and settle $0 and spend without limit: it is counted at the
        // configured fallback price, or refused.
        if (targets.FirstOrDefault(t => t.Price is null) is { } unpriced && limits.UnknownModelPrice is null)
        {
            return (null, GatewayError.PriceUnknown(unpriced.Ref.ToString()));
        }
        // The dearest model the call may end up on (fallbacks included), at the longest answer it may get.
        var input = tokens.Count(request.Messages);
        var output = request.MaxOutputTokens ?? limits.BudgetReserveOutputTokens;
        var estimate = targets.Max(t => (t.Price ?? limits.UnknownModelPrice!).CostOf(input, output));
        var (reservation, spent) = await budget.TryReserveAsync(request.UserId, cap, estimate, cancellationToken);
        return reservation is null
            ? (null, GatewayError.BudgetExhausted(cap, spent, budget.RenewsAt()))
            : (new Ticket(rates, budget, counters, logger, request, reservation, limits.UnknownModelPrice, close), null);
    }

    private bool TryOpen(Guid userId, int max)
    {
        while (true)
        {
            var open = _open.GetValueOrDefault(userId);
            if (open >= max)
            {
                return false;
            }
            if (open == 0 ? _open.TryAdd(userId, 1) : _open.TryUpdate(userId, open + 1, open))
            {
                return true;
            }
        }
    }

    private void Close(Guid userId)
    {
        while (_open.TryGetValue(userId, out var open))
        {
            // The last one out removes the entry, so idle users hold no memory.
            if (open <= 1 ? _open.TryRemove(new KeyValuePair<Guid, int>(userId, open)) : _open.TryUpdate(userId, open - 1, open))
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not count a finished call against its caller's limits and budget")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception);
}
