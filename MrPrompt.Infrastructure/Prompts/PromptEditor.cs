using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Common;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Prompts.Loaders;
using Npgsql;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>
/// Changing prompts: create, save a new version, restore, move labels, duplicate, delete. Only the
/// owner changes a prompt; anyone else gets "not found" for a private prompt and "forbidden" for a
/// public one, and the attempt is logged. Every check runs before anything is written.
/// </summary>
public sealed class PromptEditor(
    IDbContextFactory<AppDbContext> contexts, DataLoaderRegistry loaders, PromptLibrary library, ProtectedLabels protectedLabels, Audit.AuditLog audit,
    TimeProvider clock)
{
    /// <summary>The unique index that keeps keys unique per owner (see <c>PromptConfiguration</c>).</summary>
    private const string OwnerKeyIndex = "ix_prompts_owner_id_key";

    public async Task<PromptResult<Guid>> CreateAsync(
        Guid userId, PromptDetails details, PromptContent content, string? changeNote = null, CancellationToken cancellationToken = default)
    {
        details = details.Normalized();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var errors = await ValidateAsync(db, userId, null, details, cancellationToken);
        await ValidateContentAsync(content, changeNote, errors);
        if (!errors.IsEmpty)
        {
            return PromptProblem.Invalid(errors);
        }
        var prompt = new Prompt { Id = Guid.CreateVersion7(clock.GetUtcNow()), OwnerId = userId, LatestVersion = 1 };
        Apply(details, prompt);
        db.Prompts.Add(prompt);
        db.PromptVersions.Add(NewVersion(prompt.Id, 1, userId, content, changeNote is { Length: > 0 } ? changeNote : "First version"));
        var created = await SaveAsync(db, prompt.Id, cancellationToken);
        if (created.Problem is null && details.Visibility == PromptVisibility.Public)
        {
            await AuditPublishedAsync(userId, prompt);
        }
        return created;
    }

    /// <summary>Saves <paramref name="content"/> as the next version (n+1); the earlier ones never change.</summary>
    public async Task<PromptResult<PromptVersion>> SaveVersionAsync(
        Guid userId, Guid promptId, PromptContent content, string? changeNote, CancellationToken cancellationToken = default)
    {
        // Ownership first: someone else's prompt is refused (and logged) before its content is looked at.
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if ((await FindOwnedAsync(db, userId, promptId, "save a version of", cancellationToken)).Problem is { } problem)
            {
                return problem;
            }
        }
        var errors = new FieldErrors();
        await ValidateContentAsync(content, changeNote, errors);
        if (!errors.IsEmpty)
        {
            return PromptProblem.Invalid(errors);
        }
        return await AppendVersionAsync(userId, promptId, content, changeNote?.Trim() ?? "", cancellationToken);
    }

    /// <summary>
    /// The editor's Save: new details and, when the content differs from the latest version, the next
    /// version, in one transaction. Both are validated first, so either everything is saved or nothing.
    /// </summary>
    public async Task<PromptResult<PromptUpdate>> UpdateAsync(
        Guid userId, Guid promptId, PromptDetails details, PromptContent content, string? changeNote, CancellationToken cancellationToken = default)
    {
        details = details.Normalized();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owned = await FindOwnedAsync(db, userId, promptId, "edit", cancellationToken);
        if (owned.Value is not { } prompt)
        {
            return owned.Problem!;
        }
        var latest = await db.PromptVersions.AsNoTracking().Where(v => v.PromptId == promptId).OrderByDescending(v => v.Number).FirstAsync(cancellationToken);
        var contentChanged = !latest.Content.SameAs(content);
        var detailsChanged = !Details(prompt).SameAs(details);
        var errors = await ValidateAsync(db, userId, prompt, details, cancellationToken);
        if (contentChanged)
        {
            await ValidateContentAsync(content, changeNote, errors);
        }
        if (!errors.IsEmpty)
        {
            return PromptProblem.Invalid(errors);
        }

        var publishing = details.Visibility == PromptVisibility.Public && prompt.Visibility != PromptVisibility.Public;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        Apply(details, prompt);
        PromptVersion? version = null;
        if (contentChanged)
        {
            version = NewVersion(promptId, await NextNumberAsync(db, promptId, cancellationToken), userId, content, changeNote?.Trim() ?? "");
            db.PromptVersions.Add(version);
        }
        var saved = await SaveAsync(db, promptId, cancellationToken);
        if (saved.Problem is { } failed)
        {
            return failed;
        }
        await transaction.CommitAsync(cancellationToken);
        if (publishing)
        {
            await AuditPublishedAsync(userId, prompt);
        }
        return new PromptUpdate(detailsChanged, version);
    }

    private Task AuditPublishedAsync(Guid userId, Prompt prompt) =>
        audit.RecordAsync(MrPrompt.Domain.Accounts.AuditActions.PromptPublished, userId, "", prompt.Id, $"prompt \"{prompt.Key}\" made public");

    /// <summary>Writes an old version's content again as the newest version; history is never rewritten.</summary>
    public async Task<PromptResult<PromptVersion>> RestoreAsync(Guid userId, Guid promptId, int number, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owned = await FindOwnedAsync(db, userId, promptId, "restore a version of", cancellationToken);
        if (owned.Problem is { } problem)
        {
            return problem;
        }
        var old = await db.PromptVersions.AsNoTracking().FirstOrDefaultAsync(v => v.PromptId == promptId && v.Number == number, cancellationToken);
        if (old is null)
        {
            return PromptProblem.Invalid($"Version {number} does not exist.");
        }
        // What was valid then may not be now, for instance a data loader that no longer exists.
        var errors = new FieldErrors();
        await ValidateContentAsync(old.Content, null, errors);
        if (!errors.IsEmpty)
        {
            return PromptProblem.Invalid($"Version {number} cannot be restored as it is: {PromptProblem.Invalid(errors).Message}");
        }
        return await AppendVersionAsync(userId, promptId, old.Content, $"Restored version {number}", cancellationToken);
    }

    /// <summary>Points <paramref name="label"/> at version <paramref name="number"/>, creating the label if needed.</summary>
    public async Task<PromptResult<PromptLabel>> MoveLabelAsync(Guid userId, Guid promptId, string label, int number, CancellationToken cancellationToken = default)
    {
        label = label.Trim().ToLowerInvariant();
        if (PromptRules.ValidateLabel(label) is { } invalid)
        {
            return PromptProblem.Invalid(invalid);
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owned = await FindOwnedAsync(db, userId, promptId, "move a label of", cancellationToken);
        if (owned.Problem is { } problem)
        {
            return problem;
        }
        if (await RefuseProtectedAsync(db, userId, label, cancellationToken) is { } refused)
        {
            return refused;
        }
        var versionId = await db.PromptVersions.Where(v => v.PromptId == promptId && v.Number == number).Select(v => (Guid?)v.Id).FirstOrDefaultAsync(cancellationToken);
        if (versionId is null)
        {
            return PromptProblem.Invalid($"Version {number} does not exist.");
        }
        var existing = await db.PromptLabels.FirstOrDefaultAsync(l => l.PromptId == promptId && l.Name == label, cancellationToken);
        if (existing is null)
        {
            existing = new PromptLabel { PromptId = promptId, Name = label };
            db.PromptLabels.Add(existing);
        }
        existing.VersionId = versionId.Value;
        existing.MovedBy = userId;
        existing.MovedAt = clock.GetUtcNow();
        var saved = await SaveAsync(db, promptId, cancellationToken);
        return saved.Problem is { } failed ? failed : existing;
    }

    public async Task<PromptResult<bool>> RemoveLabelAsync(Guid userId, Guid promptId, string label, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owned = await FindOwnedAsync(db, userId, promptId, "remove a label of", cancellationToken);
        if (owned.Problem is { } problem)
        {
            return problem;
        }
        if (await RefuseProtectedAsync(db, userId, label, cancellationToken) is { } refused)
        {
            return refused;
        }
        return await db.PromptLabels.Where(l => l.PromptId == promptId && l.Name == label).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// Copies a prompt the caller can read (a public one or their own) into a new private prompt of
    /// theirs, starting at version 1 with the source's default version.
    /// </summary>
    public async Task<PromptResult<Guid>> DuplicateAsync(Guid userId, Guid promptId, CancellationToken cancellationToken = default)
    {
        var source = await library.GetAsync(userId, promptId, cancellationToken);
        return source.Value is { } view ? await DuplicateAsync(userId, view, cancellationToken) : source.Problem!;
    }

    /// <summary>Copies a built-in prompt into a new private prompt of the caller's, which they can then change.</summary>
    public async Task<PromptResult<Guid>> DuplicateBuiltInAsync(Guid userId, string key, CancellationToken cancellationToken = default) =>
        PromptLibrary.GetBuiltIn(key) is { } view ? await DuplicateAsync(userId, view, cancellationToken) : PromptProblem.NotFound();

    private async Task<PromptResult<Guid>> DuplicateAsync(Guid userId, PromptView source, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var taken = await db.Prompts.Where(p => p.OwnerId == userId).Select(p => p.Key).ToListAsync(cancellationToken);
        var key = FreeKey(source.Key, taken);
        var from = source.Default;
        var details = new PromptDetails(key, source.Title, source.Description, source.Tags, PromptVisibility.Private);
        var origin = source.IsCodeDefined ? "the built-in" : $"{source.OwnerName}'s";
        return await CreateAsync(userId, details, from.Content, $"Duplicated from {origin} {source.Key} v{from.Number}", cancellationToken);
    }

    public async Task<PromptResult<bool>> DeleteAsync(Guid userId, Guid promptId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owned = await FindOwnedAsync(db, userId, promptId, "delete", cancellationToken);
        if (owned.Value is not { } prompt)
        {
            return owned.Problem!;
        }
        // Deleting and re-creating under the same key would move a protected label by another road.
        var labels = await db.PromptLabels.Where(l => l.PromptId == promptId).Select(l => l.Name).ToListAsync(cancellationToken);
        foreach (var label in labels)
        {
            if (await RefuseProtectedAsync(db, userId, label, cancellationToken) is { } refused)
            {
                return refused;
            }
        }
        db.Prompts.Remove(prompt);
        var deleted = await SaveAsync(db, promptId, cancellationToken);
        return deleted.Problem is { } problem ? problem : true;
    }

    private async Task<PromptResult<PromptVersion>> AppendVersionAsync(Guid userId, Guid promptId, PromptContent content, string changeNote, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.Prompts.AnyAsync(p => p.Id == promptId && p.OwnerId == userId, cancellationToken))
        {
            return (await FindOwnedAsync(db, userId, promptId, "save a version of", cancellationToken)).Problem ?? PromptProblem.NotFound();
        }
        var version = NewVersion(promptId, await NextNumberAsync(db, promptId, cancellationToken), userId, content, changeNote);
        db.PromptVersions.Add(version);
        var saved = await SaveAsync(db, promptId, cancellationToken);
        if (saved.Problem is { } failed)
        {
            return failed;
        }
        await transaction.CommitAsync(cancellationToken);
        return version;
    }

    /// <summary>
    /// Hands out the next version number inside the caller's transaction. The increment takes the
    /// prompt's row lock, so concurrent saves queue here and each gets its own number.
    /// </summary>
    private async Task<int> NextNumberAsync(AppDbContext db, Guid promptId, CancellationToken cancellationToken)
    {
        await db.Prompts.Where(p => p.Id == promptId)
            .ExecuteUpdateAsync(set => set.SetProperty(p => p.LatestVersion, p => p.LatestVersion + 1).SetProperty(p => p.UpdatedAt, clock.GetUtcNow()), cancellationToken);
        return await db.Prompts.Where(p => p.Id == promptId).Select(p => p.LatestVersion).FirstAsync(cancellationToken);
    }

    /// <summary>The prompt if the caller owns it; otherwise not found (private) or forbidden (public), logged.</summary>
    private async Task<PromptResult<Prompt>> FindOwnedAsync(AppDbContext db, Guid userId, Guid promptId, string action, CancellationToken cancellationToken)
    {
        var prompt = await db.Prompts.FirstOrDefaultAsync(p => p.Id == promptId, cancellationToken);
        if (prompt is null)
        {
            return PromptProblem.NotFound();
        }
        if (prompt.OwnerId == userId)
        {
            return prompt;
        }
        var isPublic = prompt.Visibility == PromptVisibility.Public;
        library.LogRefused(userId, action, promptId, isPublic ? "public prompt of another user" : "private prompt of another user");
        return isPublic ? PromptProblem.Forbidden() : PromptProblem.NotFound();
    }

    private async Task<FieldErrors> ValidateAsync(AppDbContext db, Guid userId, Prompt? current, PromptDetails details, CancellationToken cancellationToken)
    {
        var errors = details.Validate();
        if (CodePrompts.Find(details.Key) is not null)
        {
            errors.Add(nameof(PromptDetails.Key), $"'{details.Key}' is the key of a built-in prompt. Choose another.");
        }
        else if (errors.For(nameof(PromptDetails.Key)).Count == 0
            && await db.Prompts.AnyAsync(p => p.OwnerId == userId && p.Key == details.Key && p.Id != (current == null ? Guid.Empty : current.Id), cancellationToken))
        {
            errors.Add(nameof(PromptDetails.Key), $"You already have a prompt with the key '{details.Key}'.");
        }
        var publishing = details.Visibility == PromptVisibility.Public && current?.Visibility != PromptVisibility.Public;
        if (publishing && !await CanPublishAsync(db, userId, cancellationToken))
        {
            errors.Add(nameof(PromptDetails.Visibility), "Only authors and admins can publish prompts. Keep it private, or ask an admin for the Author role.");
        }
        return errors;
    }

    private async Task ValidateContentAsync(PromptContent content, string? changeNote, FieldErrors errors)
    {
        var found = content.Validate(loaders.Keys);
        foreach (var (field, messages) in found.ByField)
        {
            messages.ForEach(m => errors.Add(field, m));
        }
        if (content.ResponseFormat == PromptResponseFormat.JsonSchema && found.For(nameof(PromptContent.JsonSchema)).Count == 0
            && await JsonSchemaRules.ValidateSchemaAsync(content.JsonSchema!) is { } schemaError)
        {
            errors.Add(nameof(PromptContent.JsonSchema), schemaError);
        }
        if (PromptRules.ValidateChangeNote(changeNote) is { } noteError)
        {
            errors.Add("ChangeNote", noteError);
        }
    }

    private static async Task<bool> CanPublishAsync(AppDbContext db, Guid userId, CancellationToken cancellationToken) =>
        await IsAuthorOrAdminAsync(db, userId, cancellationToken);

    /// <summary>Forbidden when an admin protected <paramref name="label"/> and the caller is neither an Author nor an Admin.</summary>
    private async Task<PromptProblem?> RefuseProtectedAsync(AppDbContext db, Guid userId, string label, CancellationToken cancellationToken) =>
        (await protectedLabels.CurrentAsync(cancellationToken)).Contains(label, StringComparer.Ordinal) && !await IsAuthorOrAdminAsync(db, userId, cancellationToken)
            ? new PromptProblem(PromptProblemKind.Forbidden, $"An admin protected the label '{label}': only authors and admins move it.")
            : null;

    private static async Task<bool> IsAuthorOrAdminAsync(AppDbContext db, Guid userId, CancellationToken cancellationToken)
    {
        var role = await db.Summaries().Where(a => a.Id == userId).Select(a => a.Role).FirstOrDefaultAsync(cancellationToken);
        return role is AppRoles.Admin or AppRoles.Author;
    }

    /// <summary>Saves, turning the race where two saves take the same key into the same message the check gives.</summary>
    private static async Task<PromptResult<Guid>> SaveAsync(AppDbContext db, Guid promptId, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return promptId;
        }
        catch (DbUpdateConcurrencyException)
        {
            // Deleted (in another tab) between reading and saving.
            return PromptProblem.NotFound();
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique)
        {
            if (unique.ConstraintName == OwnerKeyIndex)
            {
                var errors = new FieldErrors();
                errors.Add(nameof(PromptDetails.Key), "You already have a prompt with this key.");
                return PromptProblem.Invalid(errors);
            }
            return PromptProblem.Invalid("This prompt was changed at the same moment elsewhere. Reload it and try again.");
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation })
        {
            // The prompt or version went away (deleted in another tab) while this change was on its way.
            return PromptProblem.NotFound();
        }
    }

    private PromptVersion NewVersion(Guid promptId, int number, Guid authorId, PromptContent content, string changeNote)
    {
        var version = PromptVersion.Of(content);
        version.Id = Guid.CreateVersion7(clock.GetUtcNow());
        version.PromptId = promptId;
        version.Number = number;
        version.ChangeNote = changeNote;
        version.AuthorId = authorId;
        version.CreatedAt = clock.GetUtcNow();
        return version;
    }

    private static PromptDetails Details(Prompt prompt) => new(prompt.Key, prompt.Title, prompt.Description, prompt.Tags, prompt.Visibility);

    private static void Apply(PromptDetails details, Prompt prompt)
    {
        prompt.Key = details.Key;
        prompt.Title = details.Title;
        prompt.Description = details.Description ?? "";
        prompt.Tags = [.. details.Tags];
        prompt.Visibility = details.Visibility;
    }

    /// <summary><paramref name="key"/>, or key-copy, key-copy-2… whichever the caller does not have yet.</summary>
    private static string FreeKey(string key, IReadOnlyCollection<string> taken)
    {
        if (!taken.Contains(key) && CodePrompts.Find(key) is null)
        {
            return key;
        }
        var stem = key.Length > PromptRules.KeyMaxLength - 8 ? key[..(PromptRules.KeyMaxLength - 8)].TrimEnd('-') : key;
        var candidate = $"{stem}-copy";
        for (var n = 2; taken.Contains(candidate); n++)
        {
            candidate = $"{stem}-copy-{n}";
        }
        return candidate;
    }
}

/// <summary>What the editor's Save changed: the details, and the new version when the content differed.</summary>
public sealed record PromptUpdate(bool DetailsChanged, PromptVersion? NewVersion);
