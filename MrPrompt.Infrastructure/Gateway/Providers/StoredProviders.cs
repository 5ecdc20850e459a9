using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Common;
using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>A stored provider as the console lists it: never its key, only the key's last characters.</summary>
public sealed record StoredProviderView(
    string Id, string DisplayName, ProviderKind Kind, string? BaseUrl, string? KeyHint, bool SharedWithUsers,
    IReadOnlyList<StoredModel> Models, DateTimeOffset UpdatedAt);

/// <summary>What an admin submits for a provider; a blank <see cref="ApiKey"/> on a change keeps the stored key.</summary>
public sealed record ProviderForm(
    string Id, string DisplayName, ProviderKind Kind, string? BaseUrl, string? ApiKey, bool SharedWithUsers, IReadOnlyList<StoredModel> Models);

/// <summary>
/// The system providers admins add, change, test and remove in the console (<c>system_providers</c>). A change is
/// audited, takes effect here at once (the catalog swaps in the new set) and on every other instance as soon as it hears
/// (<see cref="Cluster.ClusterChanges"/>), or at its next look should it not (<see cref="StoredProvidersRefresh"/>, every
/// <see cref="ProviderRefreshOptions.RefreshMilliseconds"/>).
/// The table holds no account's data, so row-level security does not apply to it; only admins reach these methods.
/// </summary>
public sealed partial class StoredProviders(
    IDbContextFactory<AppDbContext> contexts, ProviderCatalog catalog, CredentialProtector protector, ProviderClientFactory clients,
    AuditLog audit, Cluster.ClusterChanges cluster, ILogger<StoredProviders> logger)
{
    /// <summary>What the last load saw: the count and newest change, cheap to compare with the table's.</summary>
    private (int Count, DateTimeOffset? Newest) _loaded = (-1, null);

    /// <summary>One load at a time: a timer's load begun before a save must not put the older set back after the save's own.</summary>
    private readonly SemaphoreSlim _loading = new(1, 1);

    public async Task<IReadOnlyList<StoredProviderView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.StoredProviders.AsNoTracking().OrderBy(p => p.Id).ToListAsync(cancellationToken);
        return rows.Select(r => new StoredProviderView(r.Id, r.DisplayName, r.Kind, r.BaseUrl, r.KeyHint, r.SharedWithUsers, StoredModel.ListFromJson(r.Models), r.UpdatedAt)).ToList();
    }

    /// <summary>Adds the provider, or changes it when <paramref name="existing"/>; every problem by field, nothing saved then.</summary>
    public async Task<FieldErrors> SaveAsync(AdminCaller admin, ProviderForm form, bool existing, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var id = form.Id.Trim().ToLowerInvariant();
        var models = form.Models.Select(m => m with
        {
            Id = m.Id.Trim(),
            Fallbacks = (m.Fallbacks ?? []).Select(f => f.Trim()).Where(f => f.Length > 0).ToList(),
            Roles = (m.Roles ?? []).Select(r => AppRoles.All.FirstOrDefault(known => string.Equals(known, r.Trim(), StringComparison.OrdinalIgnoreCase)) ?? r.Trim()).Where(r => r.Length > 0).Distinct().ToList(),
        }).Where(m => m.Id.Length > 0).ToList();
        var row = new StoredProvider
        {
            Id = id, DisplayName = form.DisplayName.Trim(), Kind = form.Kind, BaseUrl = string.IsNullOrWhiteSpace(form.BaseUrl) ? null : form.BaseUrl.Trim(),
            SharedWithUsers = form.SharedWithUsers, Models = StoredModel.ToJson(models), UpdatedBy = admin.UserId,
        };
        var errors = StoredProviderRules.Validate(row, models, AppRoles.All);
        if (!existing && (catalog.Find(id) is not null || ProviderPreset.EchoId == id))
        {
            errors.Add(nameof(StoredProvider.Id), catalog.IsConfigured(id)
                ? $"'{id}' is a provider of the configuration; pick another id."
                : $"There already is a provider '{id}'.");
        }
        if (existing && catalog.IsConfigured(id))
        {
            errors.Add(nameof(StoredProvider.Id), $"'{id}' comes from the configuration, which the console cannot change.");
        }
        foreach (var fallback in models.SelectMany(m => m.Fallbacks ?? []))
        {
            if (ModelRef.TryParse(fallback, out var target) && target.Provider != id && catalog.Find(target.Provider) is null)
            {
                errors.Add(nameof(StoredProvider.Models), $"The fallback '{fallback}' names no provider here.");
            }
        }
        if (form.ApiKey is { Length: > 0 } typed && CredentialRules.ValidateKey(typed) is { } keyError)
        {
            errors.Add("ApiKey", keyError);
        }
        if (!errors.IsEmpty)
        {
            return errors;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.StoredProviders.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (existing != (stored is not null))
        {
            errors.Add(nameof(StoredProvider.Id), existing ? $"There is no provider '{id}' (removed meanwhile?)." : $"There already is a provider '{id}'.");
            return errors;
        }
        if (form.ApiKey is { Length: > 0 } key)
        {
            row.EncryptedKey = protector.Protect(key.Trim());
            row.KeyHint = CredentialRules.HintOf(key.Trim());
        }
        else if (stored is not null)
        {
            if (stored.EncryptedKey is not null && (stored.BaseUrl != row.BaseUrl || stored.Kind != row.Kind))
            {
                // The stored key was given for the stored address: it does not follow the provider somewhere else unasked.
                errors.Add("ApiKey", "The address or kind changed: enter the key again for the new one.");
                return errors;
            }
            (row.EncryptedKey, row.KeyHint) = (stored.EncryptedKey, stored.KeyHint);
        }
        if (row.EncryptedKey is null && row.Kind != ProviderKind.OpenAICompatible)
        {
            errors.Add("ApiKey", $"{row.Kind} needs an API key.");
            return errors;
        }
        if (stored is null)
        {
            db.StoredProviders.Add(row);
        }
        else
        {
            row.CreatedAt = stored.CreatedAt;
            db.Entry(stored).CurrentValues.SetValues(row);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            errors.Add(nameof(StoredProvider.Id), $"'{id}' was saved at the same moment elsewhere. Reload and try again.");
            return errors;
        }
        await audit.RecordAsync(existing ? AuditActions.ProviderChanged : AuditActions.ProviderAdded, admin.UserId, "", null,
            $"{row.DisplayName} ({id}, {row.Kind}{(row.BaseUrl is null ? "" : " at " + row.BaseUrl)}): {models.Count} models{(form.ApiKey is { Length: > 0 } ? ", new key" : "")}");
        await RefreshAsync(force: true, cancellationToken);
        cluster.Publish(new Cluster.ClusterChange(Cluster.ClusterChangeKind.Providers));
        return errors;
    }

    public async Task<bool> RemoveAsync(AdminCaller admin, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var removed = await db.StoredProviders.Where(p => p.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;
        if (removed)
        {
            await audit.RecordAsync(AuditActions.ProviderRemoved, admin.UserId, "", null, $"Provider {id} removed");
            await RefreshAsync(force: true, cancellationToken);
            cluster.Publish(new Cluster.ClusterChange(Cluster.ClusterChangeKind.Providers));
        }
        return removed;
    }

    /// <summary>
    /// Asks the provider for its models with the key and address given, as a check before or after saving; the models it
    /// offers, or why it could not be asked (never its error text, which may quote the key). The stored key is used only for
    /// the stored provider at its stored address and kind: a key never travels to an address typed since.
    /// </summary>
    public async Task<ModelListing> TestAsync(AdminCaller admin, ProviderForm form, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var id = form.Id.Trim().ToLowerInvariant();
        var baseUrl = string.IsNullOrWhiteSpace(form.BaseUrl) ? null : form.BaseUrl.Trim();
        var key = form.ApiKey is { Length: > 0 } typed ? typed.Trim() : null;
        if (key is null)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var stored = await db.StoredProviders.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
            if (stored is { EncryptedKey: { } encrypted } && stored.BaseUrl == baseUrl && stored.Kind == form.Kind)
            {
                key = protector.TryUnprotect(encrypted);
            }
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var listed = await clients.ListModelsAsync(new ProviderEndpoint(id, form.DisplayName, form.Kind, baseUrl, key), timeout.Token);
            return new ModelListing(listed.Order(StringComparer.Ordinal).ToList(), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new ModelListing([], ProviderErrors.Classify(ex, form.DisplayName, "models").Error.Message);
        }
    }

    /// <summary>Loads the stored providers into the catalog when the table changed since the last load (or always, with <paramref name="force"/>).</summary>
    public async Task RefreshAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        await _loading.WaitAsync(cancellationToken);
        try
        {
            await LoadIfChangedAsync(force, cancellationToken);
        }
        finally
        {
            _loading.Release();
        }
    }

    private async Task LoadIfChangedAsync(bool force, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var state = await db.StoredProviders.GroupBy(_ => 1).Select(g => new { Count = g.Count(), Newest = (DateTimeOffset?)g.Max(p => p.UpdatedAt) })
            .FirstOrDefaultAsync(cancellationToken);
        var seen = (state?.Count ?? 0, state?.Newest);
        if (!force && seen == _loaded)
        {
            return;
        }
        var rows = await db.StoredProviders.AsNoTracking().ToListAsync(cancellationToken);
        catalog.ReplaceStored(rows.Select(Definition));
        _loaded = seen;
    }

    private ProviderDefinition Definition(StoredProvider row)
    {
        var key = row.EncryptedKey is null ? null : protector.TryUnprotect(row.EncryptedKey);
        if (row.EncryptedKey is not null && key is null)
        {
            LogKeyUnreadable(logger, row.Id);
        }
        var models = StoredModel.ListFromJson(row.Models);
        return new ProviderDefinition
        {
            Id = row.Id,
            DisplayName = row.DisplayName,
            Kind = row.Kind,
            BaseUrl = row.BaseUrl,
            SystemApiKey = key,
            SharedWithUsers = row.SharedWithUsers,
            DefaultModel = models.FirstOrDefault()?.Id,
            Models = models.Select(m => new ModelDefinition(m.Id)
            {
                Price = m.InputPrice is { } input && m.OutputPrice is { } output ? new ModelPrice(input, output) : null,
                ContextWindow = m.ContextWindow,
                Fallbacks = (m.Fallbacks ?? []).Select(f => ModelRef.TryParse(f, out var parsed) ? parsed : (ModelRef?)null).OfType<ModelRef>().ToList(),
                Roles = m.Roles ?? [],
                Vision = m.Vision,
            }).ToList(),
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The key of the stored provider {Provider} cannot be decrypted (the key ring changed?); enter it again in the console")]
    private static partial void LogKeyUnreadable(ILogger logger, string provider);
}

public sealed class ProviderRefreshOptions
{
    /// <summary>How often an instance looks for providers changed on another one (<c>StoredProviders__RefreshMilliseconds</c>).</summary>
    public int RefreshMilliseconds { get; set; } = 2_000;
}

/// <summary>Loads the stored providers at start, then looks for changes made on other instances every little while.</summary>
public sealed partial class StoredProvidersRefresh(StoredProviders providers, IOptions<ProviderRefreshOptions> options, TimeProvider clock, ILogger<StoredProvidersRefresh> logger)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the app serves: a call right after start must find the providers an admin added.
        await providers.RefreshAsync(force: true, cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(100, options.Value.RefreshMilliseconds)), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await providers.RefreshAsync(cancellationToken: stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRefreshFailed(logger, ex.GetType().Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not look for changed providers ({Reason}); trying again shortly")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
