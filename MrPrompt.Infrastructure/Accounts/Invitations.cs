using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Common;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>A new invitation's link: shown once to the admin who made it, to hand over.</summary>
public sealed record InvitationLink(Guid Id, string? Email, string Role, string Code, DateTimeOffset ExpiresAt)
{
    public const string Path = "Account/Register";

    /// <summary>The link on the site at <paramref name="baseUri"/> (ending in '/').</summary>
    public string On(string baseUri) => $"{baseUri}{Path}?invite={Code}";
}

/// <summary>An invitation not yet used, expired or withdrawn, as admins list it.</summary>
public sealed record OpenInvitation(Guid Id, string? Email, string Role, string CreatedByEmail, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Invitations to register, made by admins (each method takes the <see cref="AdminCaller"/> that proves
/// the caller is one). A link works once, for <see cref="RegistrationRules.InvitationDays"/> days; the
/// registration page redeems it (<see cref="AccountRegistrar"/>). Every step is audited, never the code.
/// </summary>
public sealed class Invitations(IDbContextFactory<AppDbContext> contexts, AuditLog audit, TimeProvider clock)
{
    public const string EmailField = "Email";
    public const string RoleField = "Role";
    private const string CodePrefix = "inv_";

    public async Task<(InvitationLink? Link, FieldErrors Errors)> CreateAsync(AdminCaller admin, string? email, string? role, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Create");
        var errors = new FieldErrors();
        email = string.IsNullOrWhiteSpace(email) ? null : email.Trim();
        if (email is not null && (email.Length > 256 || !new EmailAddressAttribute().IsValid(email)))
        {
            errors.Add(EmailField, "Enter a valid email address, or leave it empty for whoever gets the link.");
        }
        var chosenRole = string.IsNullOrWhiteSpace(role) ? AppRoles.User : AppRoles.All.FirstOrDefault(r => r.Equals(role.Trim(), StringComparison.OrdinalIgnoreCase));
        if (chosenRole is null)
        {
            errors.Add(RoleField, $"Unknown role '{role}'. Use one of: {string.Join(", ", AppRoles.All)}.");
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (email is not null && errors.IsEmpty && await db.Users.AnyAsync(u => u.NormalizedEmail == email.ToUpperInvariant(), cancellationToken))
        {
            errors.Add(EmailField, $"{email} already has an account.");
        }
        if (!errors.IsEmpty)
        {
            return (null, errors);
        }

        var code = ApiKeySecret.NewSecret(CodePrefix);
        var now = clock.GetUtcNow();
        var invitation = new Invitation
        {
            Id = Guid.CreateVersion7(),
            CodeHash = HashOf(code),
            Email = email,
            Role = chosenRole!,
            CreatedBy = admin.UserId,
            CreatedAt = now,
            ExpiresAt = now.AddDays(RegistrationRules.InvitationDays),
        };
        db.Invitations.Add(invitation);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(AuditActions.InvitationCreated, admin.UserId, "", invitation.Id,
            $"an invitation as {invitation.Role}{(email is null ? " for whoever gets the link" : $" for {email}")}");
        return (new InvitationLink(invitation.Id, email, invitation.Role, code, invitation.ExpiresAt), errors);
    }

    public async Task<IReadOnlyList<OpenInvitation>> ListOpenAsync(AdminCaller admin, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("ListOpen");
        _ = admin;
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Invitations
            .Where(i => i.UsedAt == null && i.WithdrawnAt == null && i.ExpiresAt > now)
            .OrderByDescending(i => i.CreatedAt)
            .Join(db.Users, i => i.CreatedBy, u => u.Id, (i, u) => new OpenInvitation(i.Id, i.Email, i.Role, u.Email ?? "", i.CreatedAt, i.ExpiresAt))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Ends an open invitation: its link stops working. Null when done, else why not.</summary>
    public async Task<string?> WithdrawAsync(AdminCaller admin, Guid id, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("Withdraw");
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var withdrawn = await db.Invitations
            .Where(i => i.Id == id && i.UsedAt == null && i.WithdrawnAt == null && i.ExpiresAt > now)
            .ExecuteUpdateAsync(set => set.SetProperty(i => i.WithdrawnAt, now), cancellationToken);
        if (withdrawn == 0)
        {
            return "No open invitation has this id: it was used, has expired or was withdrawn already.";
        }
        await audit.RecordAsync(AuditActions.InvitationWithdrawn, admin.UserId, "", id, "an invitation withdrawn");
        return null;
    }

    /// <summary>The invitation a link's code belongs to, whatever its state; null for a code that was never made.</summary>
    public static async Task<Invitation?> FindAsync(AppDbContext db, string? code, CancellationToken cancellationToken)
    {
        if (code is not { Length: > 4 and < 100 } || !code.StartsWith(CodePrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var hash = HashOf(code);
        return await db.Invitations.FirstOrDefaultAsync(i => i.CodeHash == hash, cancellationToken);
    }

    private static string HashOf(string code) => ApiKeySecret.Hash(code);
}
