using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Circuits;

/// <summary>
/// Refuses a page's live connection (its Blazor circuit) beyond <see cref="CircuitLimits.MaxPerUser"/>
/// for the same account, or the same client address when nobody is signed in. Counted in this process,
/// from connection to disconnection.
/// </summary>
internal sealed partial class CircuitCap(IOptions<CircuitLimits> limits, ILogger<CircuitCap> logger) : IHubFilter
{
    private readonly ConcurrentDictionary<string, int> _open = new();

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        var holder = HolderOf(context.Context);
        var open = _open.AddOrUpdate(holder, 1, (_, count) => count + 1);
        context.Context.Items[nameof(CircuitCap)] = holder;
        if (open > limits.Value.MaxPerUser)
        {
            Release(holder);
            context.Context.Items.Remove(nameof(CircuitCap));
            LogRefused(logger, holder, limits.Value.MaxPerUser);
            throw new HubException($"Too many open pages: close some of the {limits.Value.MaxPerUser} already open, then reload.");
        }
        await next(context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (context.Context.Items.TryGetValue(nameof(CircuitCap), out var holder) && holder is string counted)
        {
            Release(counted);
        }
        await next(context, exception);
    }

    private void Release(string holder)
    {
        var left = _open.AddOrUpdate(holder, 0, (_, count) => count - 1);
        if (left <= 0)
        {
            _open.TryRemove(new KeyValuePair<string, int>(holder, left));
        }
    }

    private static string HolderOf(HubCallerContext context) =>
        UserId.Of(context.User!) is { } userId
            ? $"user:{userId}"
            : $"address:{context.GetHttpContext()?.Connection.RemoteIpAddress}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a page connection for {Holder}: {Limit} already open")]
    private static partial void LogRefused(ILogger logger, string holder, int limit);
}
