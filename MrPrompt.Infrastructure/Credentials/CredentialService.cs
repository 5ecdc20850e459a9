using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.Common;
using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Credentials;

/// <summary>
/// A user's own provider keys: checked with the provider before they are stored, stored encrypted,
/// listed without the key. Every operation is scoped to the calling user.
/// </summary>
public sealed partial class CredentialService(
    IDbContextFactory<AppDbContext> contexts,
    CredentialProtector protector,
    ProviderClientFactory providers,
    ProviderCatalog catalog,
    TimeProvider clock,
    IMemoryCache cache,
    Audit.AuditLog audit,
    Cluster.ClusterChanges cluster,
    ILogger<CredentialService> logger)
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a user's stored key (still encrypted) or its absence is reused for calls: the lookup
    /// was one of the two queries on every model call. Any change through this service is seen at once, on every instance.
    /// </summary>
    private static readonly TimeSpan LookupFreshness = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, long> _versions = new();

    /// <summary>Raised to read everyone's keys afresh (another instance's change may have been missed).</summary>
    private long _generation;

    public async Task<IReadOnlyList<CredentialView>> ListAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.ApiCredentials.AsNoTracking().Where(c => c.UserId == userId).OrderBy(c => c.Name).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return stored.Select(c => ToView(c, protector.TryUnprotect(c.EncryptedKey) is null ? CredentialStatus.NeedsReentry : c.StatusAt(now))).ToList();
    }

    public async Task<(CredentialView? Saved, FieldErrors Errors)> AddAsync(Guid userId, NewCredential input, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var preset = ProviderPreset.Find(input.Provider);
        var isCustom = string.Equals(input.Provider, ProviderPreset.CustomId, StringComparison.OrdinalIgnoreCase);
        if (preset is null && !isCustom)
        {
            errors.Add(CredentialRules.ProviderField, "Choose a provider.");
            return (null, errors);
        }
        var kind = preset?.Kind ?? ProviderKind.OpenAICompatible;
        var baseUrl = string.IsNullOrWhiteSpace(input.BaseUrl) ? null : input.BaseUrl.Trim();
        errors = CredentialRules.Validate(input.Name, input.Key, baseUrl ?? preset?.BaseUrl, baseUrlRequired: kind == ProviderKind.OpenAICompatible || baseUrl is not null, input.ExpiresAt, clock.GetUtcNow());
        if (!errors.IsEmpty)
        {
            return (null, errors);
        }

        var providerId = isCustom ? CredentialRules.SlugOf(input.Name) : preset!.Id;
        if (isCustom && (ProviderPreset.Find(providerId) is not null || providerId == ProviderPreset.EchoId || catalog.Find(providerId) is not null))
        {
            errors.Add(CredentialRules.NameField, "That name belongs to a built-in provider. Choose another name.");
            return (null, errors);
        }
        var displayName = isCustom ? input.Name.Trim() : preset!.DisplayName;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.ApiCredentials.AnyAsync(c => c.UserId == userId && c.Provider == providerId, cancellationToken))
        {
            AddDuplicateError(errors, isCustom, displayName);
            return (null, errors);
        }

        var key = input.Key.Trim();
        var endpoint = ProviderEndpoint.Personal(providerId, displayName, kind, baseUrl ?? preset?.BaseUrl, key);
        if (!input.Unchecked && await CheckAsync(endpoint, cancellationToken) is { } problem)
        {
            errors.Add(problem.Field, problem.Message);
            return (null, errors);
        }

        var credential = new ApiCredential
        {
            Id = Guid.CreateVersion7(),
            UserId = userId,
            Provider = providerId,
            Kind = kind,
            Name = input.Name.Trim(),
            BaseUrl = baseUrl,
            EncryptedKey = protector.Protect(key),
            KeyHint = CredentialRules.HintOf(key),
            ExpiresAt = input.ExpiresAt,
        };
        db.ApiCredentials.Add(credential);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            Changed(userId);
            await audit.RecordAsync(MrPrompt.Domain.Accounts.AuditActions.CredentialAdded, userId, "", credential.Id,
                $"{credential.Provider} key \"{credential.Name}\"{(input.Unchecked ? ", saved without checking" : "")}");
        }
        catch (DbUpdateException ex) when (ex.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // The same key added twice at once (two clicks, two tabs): the second one loses cleanly.
            AddDuplicateError(errors, isCustom, displayName);
            return (null, errors);
        }
        LogAdded(logger, userId, providerId, credential.Id);
        return (ToView(credential, credential.StatusAt(clock.GetUtcNow())), errors);
    }

    private static void AddDuplicateError(FieldErrors errors, bool isCustom, string displayName)
    {
        if (isCustom)
        {
            errors.Add(CredentialRules.NameField, "You already have an endpoint with this name.");
        }
        else
        {
            errors.Add(CredentialRules.ProviderField, $"You already have a key for {displayName}: replace it instead.");
        }
    }

    /// <summary>Puts a new key (and expiry) in place of a stored one, after the same check as adding.</summary>
    public async Task<FieldErrors> ReplaceAsync(Guid userId, Guid credentialId, string key, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var credential = await db.ApiCredentials.FirstOrDefaultAsync(c => c.Id == credentialId && c.UserId == userId, cancellationToken);
        if (credential is null)
        {
            errors.Add(CredentialRules.KeyField, "This key no longer exists.");
            return errors;
        }
        errors = CredentialRules.Validate(credential.Name, key, null, baseUrlRequired: false, expiresAt, clock.GetUtcNow());
        if (!errors.IsEmpty)
        {
            return errors;
        }
        var endpoint = ProviderEndpoint.Personal(credential.Provider, credential.Name, credential.Kind,
            credential.BaseUrl ?? ProviderPreset.Find(credential.Provider)?.BaseUrl, key.Trim());
        if (await CheckAsync(endpoint, cancellationToken) is { } problem)
        {
            errors.Add(problem.Field, problem.Message);
            return errors;
        }
        credential.EncryptedKey = protector.Protect(key.Trim());
        credential.KeyHint = CredentialRules.HintOf(key);
        credential.ExpiresAt = expiresAt;
        await db.SaveChangesAsync(cancellationToken);
        Changed(userId);
        await audit.RecordAsync(MrPrompt.Domain.Accounts.AuditActions.CredentialReplaced, userId, "", credential.Id, $"{credential.Provider} key \"{credential.Name}\"");
        LogReplaced(logger, userId, credential.Provider, credential.Id);
        return errors;
    }

    public async Task<bool> DeleteAsync(Guid userId, Guid credentialId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deleted = await db.ApiCredentials.Where(c => c.Id == credentialId && c.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
        {
            Changed(userId);
            await audit.RecordAsync(MrPrompt.Domain.Accounts.AuditActions.CredentialDeleted, userId, "", credentialId, "a provider key");
            LogDeleted(logger, userId, credentialId);
        }
        return deleted > 0;
    }

    /// <summary>
    /// The user's usable key for a provider: the decrypted key, or why there is none. A key that cannot
    /// be decrypted or has expired is never handed out, so it is never sent upstream.
    /// </summary>
    public async Task<(ApiCredential? Credential, string? Key, GatewayError? Error)> FindForUseAsync(Guid userId, string providerId, CancellationToken cancellationToken)
    {
        var credential = await cache.GetOrCreateAsync(("credential", userId, providerId, _versions.GetValueOrDefault(userId), Interlocked.Read(ref _generation)), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = LookupFreshness;
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            return await db.ApiCredentials.AsNoTracking()
                .FirstOrDefaultAsync(c => c.UserId == userId && c.Provider == providerId, cancellationToken);
        });
        if (credential is null)
        {
            return (null, null, null);
        }
        var name = catalog.Find(providerId)?.DisplayName ?? ProviderPreset.Find(providerId)?.DisplayName ?? credential.Name;
        if (credential.StatusAt(clock.GetUtcNow()) == CredentialStatus.Expired)
        {
            return (credential, null, GatewayError.CredentialExpired(name));
        }
        var key = protector.TryUnprotect(credential.EncryptedKey);
        return key is null ? (credential, null, GatewayError.CredentialNeedsReentry(name)) : (credential, key, null);
    }

    /// <summary>Makes the next call of <paramref name="userId"/> read their keys afresh, on every instance.</summary>
    private void Changed(Guid userId)
    {
        ForgetHere(userId);
        cluster.Publish(new Cluster.ClusterChange(Cluster.ClusterChangeKind.Credentials, userId));
    }

    /// <summary>As <see cref="Changed"/>, on this instance only (another one told it); everyone's keys when <paramref name="userId"/> is null.</summary>
    public void ForgetHere(Guid? userId)
    {
        if (userId is { } one)
        {
            _versions.AddOrUpdate(one, 1, static (_, version) => version + 1);
        }
        else
        {
            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>Notes that a key was used; at most once a minute per key, and never on the caller's path.</summary>
    public async Task TouchAsync(Guid credentialId)
    {
        try
        {
            var now = clock.GetUtcNow();
            var since = now.AddMinutes(-1);
            await using var db = await contexts.CreateDbContextAsync();
            await db.ApiCredentials
                .Where(c => c.Id == credentialId && (c.LastUsedAt == null || c.LastUsedAt < since))
                .ExecuteUpdateAsync(set => set.SetProperty(c => c.LastUsedAt, now));
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
        {
            LogTouchFailed(logger, credentialId, ex.Message);
        }
    }

    /// <summary>The cheapest authenticated call (listing models) proves the key and the address work.</summary>
    private async Task<(string Field, string Message)?> CheckAsync(ProviderEndpoint endpoint, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await providers.ListModelsAsync(endpoint, timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (endpoint.BaseUrl is null ? CredentialRules.KeyField : CredentialRules.BaseUrlField,
                $"{endpoint.DisplayName} did not answer within {CheckTimeout.TotalSeconds:0} seconds, so the key could not be checked. Try again, or save it without checking.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var failure = ProviderErrors.Classify(ex, endpoint.DisplayName, "");
            LogCheckFailed(logger, endpoint.ProviderId, failure.Error.CodeName, failure.HttpStatus);
            return failure.Error.Code switch
            {
                GatewayErrorCode.InvalidKey => (CredentialRules.KeyField, $"{endpoint.DisplayName} rejected this key."),
                GatewayErrorCode.ProviderUnavailable or GatewayErrorCode.Timeout when endpoint.BaseUrl is not null =>
                    (CredentialRules.BaseUrlField, $"Could not reach {endpoint.DisplayName} at this address. Check the base URL."),
                GatewayErrorCode.ModelNotFound when endpoint.BaseUrl is not null =>
                    (CredentialRules.BaseUrlField, "No OpenAI-compatible API answers at this address. The base URL usually ends in /v1."),
                // The chat's words ("pick another model") mean nothing on a form that saves a key.
                GatewayErrorCode.ProviderUnavailable or GatewayErrorCode.Timeout or GatewayErrorCode.RateLimited =>
                    (CredentialRules.KeyField, $"Could not reach {endpoint.DisplayName} to check the key. Try again, or save it without checking."),
                _ => (CredentialRules.KeyField, $"Could not check the key: {failure.Error.Message}"),
            };
        }
    }

    private CredentialView ToView(ApiCredential c, CredentialStatus status) => new(
        c.Id, c.Provider,
        catalog.Find(c.Provider)?.DisplayName ?? ProviderPreset.Find(c.Provider)?.DisplayName ?? c.Name,
        c.Kind, c.Name, c.BaseUrl, c.KeyHint, c.CreatedAt, c.LastUsedAt, c.ExpiresAt, status);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} added a key for {Provider} ({CredentialId})")]
    private static partial void LogAdded(ILogger logger, Guid userId, string provider, Guid credentialId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} replaced the key for {Provider} ({CredentialId})")]
    private static partial void LogReplaced(ILogger logger, Guid userId, string provider, Guid credentialId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} deleted key {CredentialId}")]
    private static partial void LogDeleted(ILogger logger, Guid userId, Guid credentialId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Key check with {Provider} failed: {ErrorCode} (HTTP {Status})")]
    private static partial void LogCheckFailed(ILogger logger, string provider, string errorCode, int? status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not note the use of key {CredentialId}: {Reason}")]
    private static partial void LogTouchFailed(ILogger logger, Guid credentialId, string reason);
}
