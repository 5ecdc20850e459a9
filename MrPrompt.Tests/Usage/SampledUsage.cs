using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Usage;

/// <summary>
/// A database holding a few thousand generated usage rows of known shape (three people, three
/// providers, two prompts of two versions, an API key, every status and source, some calls without
/// a price or a first token), written once for a test class that only reads them.
/// </summary>
public sealed class SampledUsage(PostgresServer server) : IAsyncLifetime
{
    public TestDatabase Database { get; } = new(server);

    public DateTimeOffset Now => Database.Clock.GetUtcNow();
    public IServiceProvider Services => Database.Services;
    public AdminCaller Admin { get; private set; } = null!;
    public Guid AdminId { get; private set; }
    public IReadOnlyList<(Guid Id, string Email)> Users { get; private set; } = [];
    public IReadOnlyList<(Guid PromptId, Guid VersionId, string Label)> Versions { get; private set; } = [];
    public Guid ApiKeyId { get; private set; }
    public List<UsageRecord> Rows { get; } = [];

    /// <summary>Rows span the ten days before <see cref="Now"/>, plus a few on either side of that range.</summary>
    public static readonly TimeSpan Span = TimeSpan.FromDays(10);

    /// <summary>A day, a year before the others, with one more model than the breakdown lists (the first used twice).</summary>
    public DateTimeOffset ManyModelsDay => Now.AddYears(-1);

    public async ValueTask InitializeAsync()
    {
        await Database.InitializeAsync();
        var ct = TestContext.Current.CancellationToken;
        AdminId = await TestUsers.RegisterAsync(Services, "usage-admin@example.com");
        await TestUsers.SetRoleAsync(Services, AdminId, AppRoles.Admin);
        Admin = (await Services.GetRequiredService<AdminGate>().VerifyAsync(AdminId, ct))!;
        var ada = await TestUsers.RegisterAsync(Services, "ada@example.com");
        var bob = await TestUsers.RegisterAsync(Services, "bob@example.com");
        Users = [(AdminId, "usage-admin@example.com"), (ada, "ada@example.com"), (bob, "bob@example.com")];

        var editor = Services.GetRequiredService<PromptEditor>();
        var versions = new List<(Guid, Guid, string)>();
        foreach (var key in new[] { "summarize", "translate" })
        {
            var promptId = (await editor.CreateAsync(ada, new PromptDetails(key, key, "", [], PromptVisibility.Private),
                new PromptContent("", "Do {{thing}}"), cancellationToken: ct)).Value;
            var second = (await editor.SaveVersionAsync(ada, promptId, new PromptContent("", "Do {{thing}} well"), "better", ct)).Value!;
            await using var db = await Database.CreateContextAsync();
            var first = db.PromptVersions.Single(v => v.PromptId == promptId && v.Number == 1);
            versions.Add((promptId, first.Id, $"{key} v1"));
            versions.Add((promptId, second.Id, $"{key} v2"));
        }
        Versions = versions;
        ApiKeyId = (await Services.GetRequiredService<ApiKeyService>().CreateAsync(bob, "nightly job", null, [], ct)).Created!.Key.Id;

        Generate();
        await using (var db = await Database.CreateContextAsync())
        {
            db.UsageRecords.AddRange(Rows);
            await db.SaveChangesAsync(ct);
        }
    }

    private void Generate()
    {
        var random = new Random(7);
        var models = new[] { ("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("anthropic", "claude-3-opus-latest"), ("echo", "echo") };
        for (var i = 0; i < 3000; i++)
        {
            var (provider, model) = models[random.Next(models.Length)];
            var source = (UsageSource)random.Next(3);
            var roll = random.Next(100);
            var status = roll < 8 ? UsageStatus.Error : roll < 12 ? UsageStatus.Cancelled : roll < 17 ? UsageStatus.CacheHit : UsageStatus.Success;
            var refused = status == UsageStatus.Error && random.Next(4) == 0;
            var user = Users[random.Next(Users.Count)].Id;
            var version = random.Next(3) == 0 ? Versions[random.Next(Versions.Count)].VersionId : (Guid?)null;
            var input = refused || status == UsageStatus.CacheHit ? 0 : random.Next(5, 4000);
            var output = refused || status == UsageStatus.CacheHit ? 0 : random.Next(0, 1500);
            Rows.Add(new UsageRecord
            {
                Id = Guid.NewGuid(),
                UserId = source == UsageSource.Api ? Users[2].Id : user,
                Provider = provider,
                Model = model,
                PromptVersionId = version,
                ApiKeyId = source == UsageSource.Api ? ApiKeyId : null,
                Source = source,
                Status = status,
                Attempt = refused ? 0 : 1 + (random.Next(10) == 0 ? 1 : 0),
                InputTokens = input,
                OutputTokens = output,
                TokensEstimated = random.Next(10) == 0,
                TimeToFirstTokenMs = refused || random.Next(3) == 0 ? null : random.Next(40, 3000),
                LatencyMs = refused ? 0 : random.Next(20, 30_000),
                CostUsd = status == UsageStatus.CacheHit ? 0m : provider == "echo" && random.Next(2) == 0 ? null : Math.Round((decimal)random.NextDouble() / 50, 10),
                ErrorCode = status == UsageStatus.Error ? (refused ? "rate_limited" : "provider_unavailable") : null,
                TraceId = Guid.NewGuid().ToString("N"),
                // Mostly inside the ten days, some just outside either end.
                ExecutedAt = WholeMicroseconds(Now - Span - TimeSpan.FromHours(6) + TimeSpan.FromSeconds(random.NextDouble() * (Span.TotalSeconds + 12 * 3600))),
            });
        }
        // Exactly on the range's edges: the start is in, the end is out.
        Rows.Add(Edge(Now - Span));
        Rows.Add(Edge(Now));
        for (var m = 0; m <= Infrastructure.Usage.UsageReport.MaxGroups; m++)
        {
            Rows.Add(Edge(ManyModelsDay.AddMinutes(m), $"model-{m:D3}"));
        }
        Rows.Add(Edge(ManyModelsDay.AddMinutes(-1), "model-000"));
    }

    /// <summary>Postgres keeps microseconds: rows are made at whole ones so what is stored is what was generated.</summary>
    private static DateTimeOffset WholeMicroseconds(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % 10, TimeSpan.Zero);

    private UsageRecord Edge(DateTimeOffset at, string model = "gpt-4o-mini") => new()
    {
        Id = Guid.NewGuid(), UserId = Users[1].Id, Provider = "openai", Model = model, Source = UsageSource.Ui,
        Status = UsageStatus.Success, Attempt = 1, InputTokens = 10, OutputTokens = 10, LatencyMs = 100, CostUsd = 0.001m,
        TraceId = $"edge-{at.UtcTicks}", ExecutedAt = at,
    };

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}
