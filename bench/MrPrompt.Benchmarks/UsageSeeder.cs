using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.ApiKeys;
using MrPrompt.Domain.Profiles;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Infrastructure.Usage;

namespace MrPrompt.Benchmarks;

/// <summary>
/// Fills a database with usage shaped like a busy team's: a few hundred people of very unequal
/// activity (a few heavy users, a long tail), each sticking to one or two models; programs calling
/// through API keys with prompts; retries, errors, refusals, cancellations and cache hits at realistic
/// rates; latency and tokens spread log-normally per model; more calls in working hours. Rows go
/// through the real usage writer, so they land exactly as the gateway's would.
/// </summary>
internal sealed class UsageSeeder(IServiceProvider services, int seed = 11)
{
    private sealed record Model(string Provider, string Id, decimal InputPrice, decimal OutputPrice, double MedianLatencyMs);

    private static readonly Model[] Models =
    [
        new("openai", "gpt-4o-mini", 0.15m, 0.60m, 1800),
        new("openai", "gpt-4o", 2.50m, 10m, 3500),
        new("openai", "o3-mini", 1.10m, 4.40m, 9000),
        new("anthropic", "claude-3-5-sonnet-latest", 3m, 15m, 4200),
        new("anthropic", "claude-3-5-haiku-latest", 0.80m, 4m, 1600),
        new("gemini", "gemini-2.0-flash", 0.10m, 0.40m, 1200),
        new("gemini", "gemini-1.5-pro", 1.25m, 5m, 3800),
        new("deepinfra", "meta-llama/Llama-3.3-70B-Instruct", 0.23m, 0.40m, 2600),
        new("openrouter", "mistralai/mixtral-8x7b-instruct", 0.24m, 0.24m, 2100),
        new("echo", "echo", 0m, 0m, 150),
    ];

    private readonly Random _random = new(seed);

    public sealed record Population(IReadOnlyList<Guid> People, IReadOnlyList<(Guid Owner, Guid Key)> Keys, IReadOnlyList<Guid> Versions);

    /// <summary>Adds <paramref name="people"/> accounts, 20 prompts of 3 versions and 12 API keys.</summary>
    public async Task<Population> AddPopulationAsync(int people)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var userRole = await db.Roles.Where(r => r.Name == AppRoles.User).Select(r => r.Id).SingleAsync();
        var now = DateTimeOffset.UtcNow;
        var ids = new List<Guid>();
        for (var i = 0; i < people; i++)
        {
            var id = Guid.CreateVersion7();
            var email = $"person{i:D4}@bench.example";
            // No password: these accounts exist to own usage, not to sign in.
            db.Users.Add(new ApplicationUser
            {
                Id = id, UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(),
                SecurityStamp = Guid.NewGuid().ToString("N"),
            });
            db.Profiles.Add(Profile.CreateFor(id, email));
            db.UserRoles.Add(new IdentityUserRole<Guid> { UserId = id, RoleId = userRole });
            ids.Add(id);
        }
        var versions = new List<Guid>();
        for (var p = 0; p < 20; p++)
        {
            var owner = ids[p % 10];
            var prompt = new Prompt { Id = Guid.CreateVersion7(), OwnerId = owner, Key = $"bench-prompt-{p:D2}", Title = $"Bench prompt {p}", LatestVersion = 3 };
            db.Prompts.Add(prompt);
            for (var n = 1; n <= 3; n++)
            {
                var version = PromptVersion.Of(new PromptContent("", $"Version {n}: {{{{text}}}}"));
                version.Id = Guid.CreateVersion7();
                version.PromptId = prompt.Id;
                version.Number = n;
                version.AuthorId = owner;
                version.ChangeNote = $"v{n}";
                version.CreatedAt = now;
                db.PromptVersions.Add(version);
                versions.Add(version.Id);
            }
        }
        var keys = new List<(Guid, Guid)>();
        for (var k = 0; k < 12; k++)
        {
            var owner = ids[k];
            var key = new PersonalApiKey { Id = Guid.CreateVersion7(), UserId = owner, Name = $"job {k}", Prefix = $"mrp_bench{k:D2}", Hash = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + new string('0', 32), CreatedAt = now };
            db.PersonalApiKeys.Add(key);
            keys.Add((owner, key.Id));
        }
        await db.SaveChangesAsync();
        return new Population(ids, keys, versions);
    }

    /// <summary>Writes <paramref name="rows"/> usage rows executed over the <paramref name="days"/> days before now.</summary>
    public async Task WriteRowsAsync(Population population, int rows, int days, Action<long>? progress = null)
    {
        var writer = new UsageLogWriter(
            services.GetRequiredService<IDbContextFactory<AppDbContext>>(),
            services.GetRequiredService<DatabaseConnection>(),
            Microsoft.Extensions.Options.Options.Create(new UsageWriterOptions { BufferCapacity = 200_000, BatchSize = 5_000 }),
            services.GetRequiredService<IMeterFactory>(),
            NullLogger<UsageLogWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        var habits = population.People.Select(_ => (First: _random.Next(Models.Length), Second: _random.Next(Models.Length))).ToArray();
        var keyOf = population.People.Select(p => population.Keys.ToList().FindIndex(k => k.Owner == p)).ToArray();
        var now = DateTimeOffset.UtcNow;
        // Rows arrive in time order, as the gateway writes them: a time range lies in neighbouring pages.
        var times = Enumerable.Range(0, rows).Select(_ => WorkingHoursWeighted(now, days)).Order().ToArray();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rows; i++)
        {
            writer.Record(NextRow(population, habits, keyOf, times[i]));
            // Keep the buffer from overflowing: wait for the writer when it falls 150,000 rows behind.
            while (i + 1 - writer.Written - writer.Dropped > 150_000)
            {
                await Task.Delay(20);
            }
            if ((i + 1) % 100_000 == 0)
            {
                progress?.Invoke(i + 1);
            }
        }
        await writer.StopAsync(CancellationToken.None);
        if (writer.Dropped > 0)
        {
            throw new InvalidOperationException($"{writer.Dropped} rows were dropped.");
        }
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        // Fresh statistics, as autovacuum would have gathered by the time anyone looks.
        await db.Database.ExecuteSqlRawAsync("VACUUM ANALYZE prompt_usage_logs");
        Console.WriteLine($"seeded {rows:N0} usage rows over {days} days in {clock.Elapsed.TotalSeconds:F0} s");
    }

    private UsageRecord NextRow(Population population, (int First, int Second)[] habits, int[] keyOf, DateTimeOffset executedAt)
    {
        // A few people make most calls: the n-th most active makes about 1/n as many as the first.
        var person = (int)Math.Min(population.People.Count - 1, Math.Floor(Math.Pow(population.People.Count + 1, _random.NextDouble())) - 1);
        var userId = population.People[person];
        var keyIndex = keyOf[person];
        var source = keyIndex >= 0 && _random.NextDouble() < 0.7 ? UsageSource.Api : _random.NextDouble() < 0.06 ? UsageSource.Background : UsageSource.Ui;
        var habit = habits[person];
        var model = Models[_random.NextDouble() < 0.8 ? habit.First : _random.NextDouble() < 0.7 ? habit.Second : _random.Next(Models.Length)];
        Guid? version = source == UsageSource.Api ? population.Versions[(keyIndex * 5 + _random.Next(3)) % population.Versions.Count]
            : _random.NextDouble() < 0.1 ? population.Versions[_random.Next(population.Versions.Count)] : null;

        var roll = _random.NextDouble();
        var status = roll < 0.02 ? UsageStatus.Error : roll < 0.03 ? UsageStatus.Cancelled : roll < 0.045 && source == UsageSource.Api ? UsageStatus.CacheHit : UsageStatus.Success;
        var refused = status == UsageStatus.Error && _random.NextDouble() < 0.25;
        var streamed = source == UsageSource.Ui || _random.NextDouble() < 0.4;
        var latency = refused ? 0 : status == UsageStatus.CacheHit ? _random.Next(2, 30) : (int)LogNormal(model.MedianLatencyMs, 0.6);
        var input = refused || status == UsageStatus.CacheHit ? 0 : (int)LogNormal(800, 1.0);
        var output = refused || status == UsageStatus.CacheHit ? 0 : status == UsageStatus.Cancelled ? (int)LogNormal(60, 0.8) : (int)LogNormal(300, 0.9);
        return new UsageRecord
        {
            Id = Guid.CreateVersion7(),
            UserId = userId,
            Provider = model.Provider,
            Model = model.Id,
            PromptVersionId = version,
            ApiKeyId = source == UsageSource.Api ? population.Keys[keyIndex].Key : null,
            Source = source,
            Status = status,
            Attempt = refused ? 0 : _random.NextDouble() < 0.03 ? 2 : 1,
            InputTokens = input,
            OutputTokens = output,
            TokensEstimated = model.Provider == "echo",
            TimeToFirstTokenMs = streamed && !refused && status != UsageStatus.CacheHit ? (int)(latency * (0.1 + 0.2 * _random.NextDouble())) : null,
            LatencyMs = latency,
            CostUsd = status == UsageStatus.CacheHit || refused ? 0 : (input * model.InputPrice + output * model.OutputPrice) / 1_000_000m,
            ErrorCode = status == UsageStatus.Error ? (refused ? "rate_limited" : "provider_unavailable") : null,
            TraceId = Guid.NewGuid().ToString("N"),
            ExecutedAt = executedAt,
        };
    }

    private double LogNormal(double median, double sigma)
    {
        // Box–Muller: a standard normal from two uniforms.
        var normal = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
        return Math.Max(1, median * Math.Exp(sigma * normal));
    }

    /// <summary>A time in the last <paramref name="days"/> days, three times likelier from 8:00 to 18:00 UTC than at night.</summary>
    private DateTimeOffset WorkingHoursWeighted(DateTimeOffset now, int days)
    {
        while (true)
        {
            var at = now - TimeSpan.FromSeconds(_random.NextDouble() * days * 86_400);
            if (at.Hour is >= 8 and < 18 || _random.NextDouble() < 1.0 / 3)
            {
                return at;
            }
        }
    }
}
