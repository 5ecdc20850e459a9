using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Settings;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Audit;
using MrPrompt.Infrastructure.Persistence;

namespace MrPrompt.Infrastructure.Prompts;

/// <summary>
/// The prompt labels an admin protected (such as <c>production</c>): on any prompt, only an Author or an
/// Admin moves or removes them, so what programs fetch by that label changes only by someone trusted to.
/// Stored as an <see cref="AppSetting"/>, read on each move, so every instance agrees at once.
/// </summary>
public sealed class ProtectedLabels(IDbContextFactory<AppDbContext> contexts, AuditLog audit, TimeProvider clock)
{
    public const int MaxLabels = 20;

    public async Task<IReadOnlyList<string>> CurrentAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.AppSettings.AsNoTracking()
            .Where(s => s.Key == AppSettingKeys.ProtectedPromptLabels).Select(s => s.Value).FirstOrDefaultAsync(cancellationToken);
        return Parse(stored ?? "");
    }

    /// <summary>Protects exactly <paramref name="labels"/>; says why not when one is not a label's shape.</summary>
    public async Task<string?> ChangeAsync(AdminCaller admin, IEnumerable<string> labels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var wanted = labels.Select(l => l.Trim().ToLowerInvariant()).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (wanted.Select(PromptRules.ValidateLabel).FirstOrDefault(problem => problem is not null) is { } invalid)
        {
            return invalid;
        }
        if (wanted.Count > MaxLabels)
        {
            return $"Protect at most {MaxLabels} labels.";
        }
        var before = await CurrentAsync(cancellationToken);
        if (before.SequenceEqual(wanted, StringComparer.Ordinal))
        {
            return null;
        }
        var value = string.Join(',', wanted);
        using (admin.AcrossAccounts("Protect prompt labels"))
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.SaveSettingAsync(AppSettingKeys.ProtectedPromptLabels, value, clock.GetUtcNow(), admin.UserId, cancellationToken);
        }
        await audit.RecordAsync(AuditActions.ProtectedLabelsChanged, admin.UserId, "", null,
            $"Protected prompt labels: {Describe(before)} → {Describe(wanted)}");
        return null;
    }

    public static IReadOnlyList<string> Parse(string stored) =>
        stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static string Describe(IReadOnlyList<string> labels) => labels.Count == 0 ? "none" : string.Join(", ", labels);
}
