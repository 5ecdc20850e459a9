using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Authentication;

/// <summary>
/// Where the web's work starts, the signed-in account becomes the database's current user
/// (<see cref="DataScope"/>): for each HTTP request once it is authenticated (pages, forms, the API by key
/// or cookie) and for each thing a live page does (an event, a navigation, a render it asks for).
/// Anonymous work gets no scope, and so no account's rows.
/// </summary>
public static class RowSecurityScopes
{
    public static void UseRowSecurityScopes(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            using (Enter(context.User))
            {
                await next(context);
            }
        });

    private static IDisposable Enter(ClaimsPrincipal user) =>
        UserId.Of(user) is { } id ? DataScope.ForUser(id) : DataScope.None();

    /// <summary>Each inbound activity of a circuit runs as the account the page is signed in as at that moment.</summary>
    public sealed class CircuitScopes(AuthenticationStateProvider authentication) : CircuitHandler
    {
        public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
            async context =>
            {
                var state = await authentication.GetAuthenticationStateAsync();
                using (Enter(state.User))
                {
                    await next(context);
                }
            };
    }
}
