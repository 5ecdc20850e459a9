using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Web.Authentication;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Components.Account;

/// <summary>
/// Keeps a connected circuit's sign-in true: when its account changes (<see cref="AccountChanges"/>) the
/// open page takes the new role, name and avatar at once, or signs out if the account may no longer
/// sign in; and every few minutes the security stamp is checked, for changes made behind the app's back.
/// </summary>
internal sealed partial class IdentityRevalidatingAuthenticationStateProvider : RevalidatingServerAuthenticationStateProvider
{
    private readonly ILogger _logger;
    private readonly IServiceScopeFactory _scopeFactory;
    private readonly IOptions<IdentityOptions> _options;
    private readonly AccountChanges _changes;

    /// <summary>What the page shows now (the framework sets it as the circuit starts); read when an account changes.</summary>
    private Task<AuthenticationState>? _state;

    private long _refreshes;

    public IdentityRevalidatingAuthenticationStateProvider(
        ILoggerFactory loggerFactory, IServiceScopeFactory scopeFactory, IOptions<IdentityOptions> options, AccountChanges changes)
        : base(loggerFactory)
    {
        _logger = loggerFactory.CreateLogger<IdentityRevalidatingAuthenticationStateProvider>();
        _scopeFactory = scopeFactory;
        _options = options;
        _changes = changes;
        changes.Changed += OnAccountChanged;
        AuthenticationStateChanged += state => _state = state;
    }

    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(5);

    private void OnAccountChanged(Guid userId)
    {
        // Cheap for every other circuit: the sign-in is already in hand. A circuit still starting has none yet,
        // and reads the account fresh anyway.
        if (_state is not { IsCompletedSuccessfully: true } state || state.Result.User is not { } principal || UserId.Of(principal) != userId)
        {
            return;
        }
        _ = RefreshAsync(userId, principal, Interlocked.Increment(ref _refreshes)); // as that account (AccountChanges)
    }

    private async Task RefreshAsync(Guid userId, ClaimsPrincipal principal, long refresh)
    {
        try
        {
            await using var scope = _scopeFactory.CreateAsyncScope();
            var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<ApplicationUser>>();
            var current = await AccountChangeRefresh.CurrentPrincipalAsync(signIn, principal) ?? new ClaimsPrincipal(new ClaimsIdentity());
            // Two changes in quick succession: only the refresh begun last may set what the page shows.
            if (Interlocked.Read(ref _refreshes) == refresh)
            {
                SetAuthenticationState(Task.FromResult(new AuthenticationState(current)));
            }
        }
        catch (Exception ex)
        {
            // The page keeps what it showed; its next load, or the periodic check, brings it up to date.
            LogRefreshFailed(_logger, userId, ex.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the open pages of account {UserId} after a change: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, Guid userId, string reason);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _changes.Changed -= OnAccountChanged;
        }
        base.Dispose(disposing);
    }

    protected override async Task<bool> ValidateAuthenticationStateAsync(
        AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        // A fresh scope, so the user is read from the database rather than a circuit's cache.
        await using var scope = _scopeFactory.CreateAsyncScope();
        var userManager = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await userManager.GetUserAsync(authenticationState.User);
        if (user is null)
        {
            return false;
        }
        var principalStamp = authenticationState.User.FindFirstValue(_options.Value.ClaimsIdentity.SecurityStampClaimType);
        return principalStamp == await userManager.GetSecurityStampAsync(user);
    }
}
