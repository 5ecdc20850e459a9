using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using MrPrompt.Domain.ApiKeys;
using MrPrompt.Domain.Common;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.ApiKeys;

/// <summary>
/// Personal API keys: made (the secret is returned once and only its hash kept), listed, revoked,
/// and recognised on each request. A key works only while it is unrevoked, unexpired and its
/// owner's account is not disabled; each is checked on every request, so a change takes effect at once.
/// </summary>
public sealed partial class ApiKeyService(
    IDbContextFactory<AppDbContext> contexts, TimeProvider clock, IMemoryCache cache, Audit.AuditLog audit, Cluster.ClusterChanges cluster,
    ILogger<ApiKeyService> logger)
{
    /// <summary>
    /// How long a checked key is trusted without asking the database again (a query on every request
    /// was most of the API's overhead). Revoking a key or disabling an account through the app ends
    /// that trust at once on every instance; a change made to the database by hand takes effect within this time.
    /// </summary>
    private static readonly TimeSpan SignInFreshness = TimeSpan.FromSeconds(10);

    private long _signInGeneration;

    /// <summary>Last use is written at most this often per key, so busy keys do not write on every request.</summary>
    private static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    /// <param name="scopes">What the key may do beyond calling models (<see cref="ApiKeyScopes"/>).</param>
    public async Task<ApiKeyCreation> CreateAsync(
        Guid userId, string? name, DateTimeOffset? expiresAt, IReadOnlyCollection<string> allowedModels, CancellationToken cancellationToken = default,
        IReadOnlyCollection<string>? scopes = null)
    {
        var models = allowedModels.Select(m => m.Trim()).Where(m => m.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var keyScopes = (scopes ?? []).Select(s => s.Trim().ToLowerInvariant()).Distinct().ToList();
        var errors = ApiKeyRules.Validate(name, expiresAt, models, clock.GetUtcNow(), keyScopes);
        if (!errors.IsEmpty)
        {
            return new ApiKeyCreation(null, errors);
        }
        var secret = ApiKeySecret.NewKey();
        var key = new PersonalApiKey
        {
            Id = Guid.CreateVersion7(clock.GetUtcNow()),
            UserId = userId,
            Name = name!.Trim(),
            Prefix = ApiKeySecret.PrefixOf(secret),
            Hash = ApiKeySecret.Hash(secret),
            AllowedModels = models,
            Scopes = keyScopes,
            CreatedAt = clock.GetUtcNow(),
            ExpiresAt = expiresAt,
        };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.PersonalApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        LogCreated(logger, key.Id, userId, key.Prefix);
        await audit.RecordAsync(MrPrompt.Domain.Accounts.AuditActions.ApiKeyCreated, userId, "", key.Id, $"key \"{key.Name}\" ({key.Prefix}…){(keyScopes.Count > 0 ? $" with the scope {string.Join(", ", keyScopes)}" : "")}");
        return new ApiKeyCreation(new NewApiKey(ApiKeyView.Of(key, null), secret), errors);
    }

    /// <summary>The user's own keys, newest first, revoked ones included so their history stays visible.</summary>
    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var keys = await db.PersonalApiKeys.AsNoTracking().Where(k => k.UserId == userId).OrderByDescending(k => k.CreatedAt).ToListAsync(cancellationToken);
        return keys.Select(k => ApiKeyView.Of(k, null)).ToList();
    }

    /// <summary>Every key of every account, for admins.</summary>
    public async Task<IReadOnlyList<ApiKeyView>> ListAllAsync(AdminCaller admin, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("ListAll");
        ArgumentNullException.ThrowIfNull(admin);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await (
            from k in db.PersonalApiKeys.AsNoTracking()
            join u in db.Users on k.UserId equals u.Id
            orderby k.CreatedAt descending
            select new { Key = k, u.Email })
            .ToListAsync(cancellationToken);
        return rows.Select(r => ApiKeyView.Of(r.Key, r.Email)).ToList();
    }

    /// <summary>Revokes one of <paramref name="userId"/>'s own keys; false when they have no such key.</summary>
    public Task<bool> RevokeAsync(Guid userId, Guid keyId, CancellationToken cancellationToken = default) =>
        RevokeWhereAsync(userId, keyId, ownKeyOnly: true, "revoked by its owner", cancellationToken);

    /// <summary>Revokes anyone's key; false when there is no such key.</summary>
    public async Task<bool> RevokeAnyAsync(AdminCaller admin, Guid keyId, CancellationToken cancellationToken = default)
    {
        using var acrossAccounts = admin.AcrossAccounts("RevokeAny");
        return await RevokeWhereAsync(admin.UserId, keyId, ownKeyOnly: false, "revoked by an admin", cancellationToken);
    }

    private async Task<bool> RevokeWhereAsync(Guid actorId, Guid keyId, bool ownKeyOnly, string detail, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var revoked = await db.PersonalApiKeys
            .Where(k => k.Id == keyId && (!ownKeyOnly || k.UserId == actorId) && k.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(k => k.RevokedAt, clock.GetUtcNow()), cancellationToken);
        if (revoked > 0)
        {
            ForgetSignIns();
            LogRevoked(logger, keyId, actorId);
            await audit.RecordAsync(MrPrompt.Domain.Accounts.AuditActions.ApiKeyRevoked, actorId, "", keyId, detail);
        }
        return revoked > 0;
    }

    /// <summary>The caller a presented key stands for, or null when it is unknown, revoked, expired or its account disabled.</summary>
    public async Task<ApiKeyCaller?> AuthenticateAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (!ApiKeySecret.LooksLikeKey(presented))
        {
            return null;
        }
        var hash = ApiKeySecret.Hash(presented);
        var now = clock.GetUtcNow();
        var cacheKey = ("api-key", hash, Interlocked.Read(ref _signInGeneration));
        if (cache.TryGetValue(cacheKey, out ApiKeyCaller? trusted))
        {
            return trusted;
        }
        // Nobody is known before the key is: the look-up runs across accounts.
        using var lookUp = DataScope.AsSystem("API key check");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await (
            from k in db.PersonalApiKeys.AsNoTracking()
            join a in db.Summaries() on k.UserId equals a.Id
            join u in db.Users on k.UserId equals u.Id
            where k.Hash == hash && u.DisabledAt == null
            select new { Key = k, a.Role, a.Email })
            .FirstOrDefaultAsync(cancellationToken);
        if (found is null || !found.Key.IsUsableAt(now))
        {
            return null;
        }
        if (found.Key.LastUsedAt is null || now - found.Key.LastUsedAt > LastUseResolution)
        {
            await db.PersonalApiKeys.Where(k => k.Id == found.Key.Id).ExecuteUpdateAsync(set => set.SetProperty(k => k.LastUsedAt, now), cancellationToken);
        }
        var caller = new ApiKeyCaller(found.Key.UserId, found.Key.Id, found.Email, found.Role, found.Key.AllowedModels, found.Key.Scopes);
        // Never trusted past the key's own expiry.
        var trustUntil = found.Key.ExpiresAt is { } expires && expires < now + SignInFreshness ? expires : now + SignInFreshness;
        cache.Set(cacheKey, caller, trustUntil);
        return caller;
    }

    /// <summary>Makes every request check its key against the database again (after a revocation or a disabled account), on every instance.</summary>
    public void ForgetSignIns()
    {
        ForgetSignInsHere();
        cluster.Publish(new Cluster.ClusterChange(Cluster.ClusterChangeKind.ApiKeys));
    }

    /// <summary>As <see cref="ForgetSignIns"/>, on this instance only (another one told it of a change).</summary>
    public void ForgetSignInsHere() => Interlocked.Increment(ref _signInGeneration);

    [LoggerMessage(Level = LogLevel.Information, Message = "API key {KeyId} ({Prefix}…) created for user {UserId}")]
    private static partial void LogCreated(ILogger logger, Guid keyId, Guid userId, string prefix);

    [LoggerMessage(Level = LogLevel.Information, Message = "API key {KeyId} revoked by user {UserId}")]
    private static partial void LogRevoked(ILogger logger, Guid keyId, Guid userId);
}

/// <summary>A key as lists show it: never the secret. <see cref="OwnerEmail"/> is filled for admins' lists.</summary>
public sealed record ApiKeyView(
    Guid Id, string Name, string Prefix, IReadOnlyList<string> AllowedModels, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, string? OwnerEmail, IReadOnlyList<string> Scopes)
{
    public static ApiKeyView Of(PersonalApiKey key, string? ownerEmail) =>
        new(key.Id, key.Name, key.Prefix, key.AllowedModels, key.CreatedAt, key.ExpiresAt, key.LastUsedAt, key.RevokedAt, ownerEmail, key.Scopes);

    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>A new key and its secret, which is shown this once.</summary>
public sealed record NewApiKey(ApiKeyView Key, string Secret);

/// <summary>The new key, or what was wrong with the request.</summary>
public sealed record ApiKeyCreation(NewApiKey? Created, FieldErrors Errors);

/// <summary>Who a request's API key stands for, and what it may call.</summary>
public sealed record ApiKeyCaller(Guid UserId, Guid KeyId, string Email, string Role, IReadOnlyList<string> AllowedModels, IReadOnlyList<string> Scopes);
