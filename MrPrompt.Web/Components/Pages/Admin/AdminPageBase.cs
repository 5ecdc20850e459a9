using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Web.Components.Shared;

namespace MrPrompt.Web.Components.Pages.Admin;

/// <summary>
/// What every admin page shares: the route already demands the Admin role from the sign-in cookie;
/// before each load or action the page asks the database again (<see cref="AdminGate"/>), so an
/// account demoted or disabled while the page is open gets "forbidden" and no data.
/// </summary>
public abstract class AdminPageBase : ComponentBase
{
    [Inject]
    private AdminGate Gate { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary>The proof the admin services ask for; null once the database says this account is no (enabled) Admin.</summary>
    protected AdminCaller? Admin { get; private set; }

    /// <summary>False until the gate has answered for the first time.</summary>
    protected bool Verified { get; private set; }

    /// <summary>Asks the database whether the signed-in account is still an enabled Admin.</summary>
    protected async Task<AdminCaller?> VerifyAsync()
    {
        Admin = await Gate.VerifyAsync(UserId.Of((await AuthenticationState).User));
        Verified = true;
        return Admin;
    }
}
