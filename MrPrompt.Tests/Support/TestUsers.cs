using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Admin;

namespace MrPrompt.Tests.Support;

public static class TestUsers
{
    /// <summary>Registers an account with a unique email through the real registrar; returns its id.</summary>
    public static async Task<Guid> RegisterAsync(IServiceProvider services, string? email = null)
    {
        await using var scope = services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<AccountRegistrar>()
            .RegisterAsync(email ?? $"{Guid.NewGuid():N}@example.com", "Passw0rd!", TestContext.Current.CancellationToken);
        return result.UserId ?? throw new InvalidOperationException("Registration failed.");
    }

    /// <summary>Gives an account exactly one role, as the registrar would have.</summary>
    public static async Task SetRoleAsync(IServiceProvider services, Guid userId, string role)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<MrPrompt.Infrastructure.Security.ApplicationUser>>();
        var user = (await users.FindByIdAsync(userId.ToString()))!;
        await users.RemoveFromRolesAsync(user, await users.GetRolesAsync(user));
        await users.AddToRoleAsync(user, role);
    }

    /// <summary>
    /// The proof admin services ask for, vouched for by the test itself: for tests of what those services
    /// do, not of who may call them (that is <see cref="AdminGate"/>'s, tested on its own).
    /// </summary>
    public static AdminCaller AsAdmin(Guid userId) => new(userId);
}
