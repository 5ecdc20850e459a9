using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Gateway;

/// <summary>Limits configured for <see cref="LimitTests"/>: 5 requests a minute for users, 3 per API key, 1 token a minute for authors.</summary>
public sealed class LimitedGatewayFixture(PostgresServer server) : GatewayFixture(server)
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Limits:RequestsPerMinute"] = "5";
        settings["Limits:ApiKeyRequestsPerMinute"] = "3";
        settings["Limits:Roles:Author:TokensPerMinute"] = "1";
        settings["Limits:Roles:Admin:RequestsPerMinute"] = "50";
        UnpricedProvider.AddTo(settings, Upstream);
    }
}

/// <summary>The limits of <see cref="LimitedGatewayFixture"/>, and budgets that count models of unknown price at 1,000 $ per million tokens.</summary>
public sealed class FallbackPriceGatewayFixture(PostgresServer server) : GatewayFixture(server)
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Limits:UnknownModelPriceUsdPerMillion"] = "1000";
        UnpricedProvider.AddTo(settings, Upstream);
    }
}

/// <summary>A provider whose one model nobody knows the price of.</summary>
public static class UnpricedProvider
{
    public const string Model = "mystery/mystery-model";

    public static void AddTo(Dictionary<string, string?> settings, FakeProviderServer upstream)
    {
        settings["Providers:mystery:Kind"] = "OpenAICompatible";
        settings["Providers:mystery:BaseUrl"] = upstream.OpenAIBaseUrl;
        settings["Providers:mystery:ApiKey"] = FakeProviderServer.ValidKey;
        settings["Providers:mystery:Models:0"] = "mystery-model";
    }
}

/// <summary>A model with no known price may not spend a budget as if it were free.</summary>
public sealed class UnknownPriceTests(LimitedGatewayFixture refusing, FallbackPriceGatewayFixture counting)
    : IClassFixture<LimitedGatewayFixture>, IClassFixture<FallbackPriceGatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_fallback_price_a_budgeted_user_is_refused_a_model_of_unknown_price_and_others_are_not()
    {
        var budgeted = await TestUsers.RegisterAsync(refusing.Services);
        await SetBudgetAsync(refusing, budgeted, 5m);
        var unbudgeted = await TestUsers.RegisterAsync(refusing.Services);
        var before = refusing.Upstream.ChatRequestCount;

        var refused = await refusing.Gateway.CompleteAsync(budgeted.Ask(UnpricedProvider.Model), Ct);
        var calls = refusing.Upstream.ChatRequestCount - before;
        var free = await refusing.Gateway.CompleteAsync(unbudgeted.Ask(UnpricedProvider.Model), Ct);

        Assert.Equal(GatewayErrorCode.PriceUnknown, refused.Error!.Code);
        Assert.Contains("Limits__UnknownModelPriceUsdPerMillion", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, calls);
        Assert.True(free.Succeeded, free.Error?.Message);
    }

    [Fact]
    public async Task With_a_fallback_price_calls_of_unknown_price_reserve_and_spend_at_that_price()
    {
        var user = await TestUsers.RegisterAsync(counting.Services);
        await SetBudgetAsync(counting, user, 1m);

        // Each call reserves about (input + 800) × 1,000 $ per million ≈ 0.81 $ and, streamed, costs the
        // recorded 22 + 712 tokens: 0.734 $.
        var (_, first) = await counting.Gateway.StreamAsync(user.Ask(UnpricedProvider.Model) with { MaxOutputTokens = 800 }, Ct).CollectAsync();
        var (_, second) = await counting.Gateway.StreamAsync(user.Ask(UnpricedProvider.Model) with { MaxOutputTokens = 800 }, Ct).CollectAsync();

        Assert.IsType<GatewayCompleted>(first);
        var refusal = Assert.IsType<GatewayFailed>(second).Error; // at $0 it would have passed
        Assert.Equal(GatewayErrorCode.BudgetExhausted, refusal.Code);
        Assert.Contains("$0.73 spent", refusal.Message, StringComparison.Ordinal);
    }

    private static async Task SetBudgetAsync(GatewayFixture fixture, Guid userId, decimal budget)
    {
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.MonthlyBudgetUsd, budget), Ct);
    }
}

/// <summary>The gateway's own limits and budgets, the same for chat in the UI and for programs.</summary>
public sealed class LimitTests(LimitedGatewayFixture fixture) : IClassFixture<LimitedGatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_user_over_the_requests_per_minute_is_refused_with_a_wait_while_another_is_not()
    {
        var user = await NewUserAsync();
        var other = await NewUserAsync();
        var outcomes = new List<GatewayOutcome>();
        for (var i = 0; i < 7; i++)
        {
            outcomes.Add(await fixture.Gateway.CompleteAsync(user.Ask("echo/echo", "hi") with { Source = UsageSource.Ui }, Ct));
        }
        var others = await fixture.Gateway.CompleteAsync(other.Ask("echo/echo", "hi"), Ct);

        Assert.Equal(5, outcomes.Count(o => o.Succeeded));
        var refused = outcomes[^1].Error!;
        Assert.Equal(GatewayErrorCode.UsageLimited, refused.Code);
        Assert.Contains("5 requests per minute", refused.Message, StringComparison.Ordinal);
        Assert.InRange(refused.RetryAfter!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
        Assert.True(others.Succeeded);
    }

    [Fact]
    public async Task A_disabled_account_is_refused_on_its_next_call_from_the_ui_too()
    {
        var user = await NewUserAsync();
        Assert.True((await fixture.Gateway.CompleteAsync(user.Ask("echo/echo", "hi"), Ct)).Succeeded); // its allowance is now kept

        await fixture.Services.GetRequiredService<MrPrompt.Infrastructure.Accounts.AccountDirectory>()
            .SetDisabledAsync(TestUsers.AsAdmin(Guid.Empty), user, disabled: true, Ct);
        var refused = await fixture.Gateway.CompleteAsync(user.Ask("echo/echo", "hi") with { Source = UsageSource.Ui }, Ct);

        Assert.Equal(GatewayErrorCode.AccountDisabled, refused.Error!.Code);
    }

    [Fact]
    public async Task A_refused_call_is_logged_as_costing_nothing_not_as_of_unknown_price()
    {
        var user = await NewUserAsync();
        for (var i = 0; i < 5; i++)
        {
            await fixture.Gateway.CompleteAsync(user.Ask("echo/echo", "hi"), Ct);
        }
        var refusedRequest = user.Ask("echo/echo", "hi");

        var refused = await fixture.Gateway.CompleteAsync(refusedRequest, Ct);

        Assert.Equal(GatewayErrorCode.UsageLimited, refused.Error!.Code);
        var row = Assert.Single(await fixture.UsageRowsAsync(refusedRequest.TraceId!, 1));
        Assert.Equal((UsageStatus.Error, 0, 0, 0m), (row.Status, row.InputTokens, row.OutputTokens, row.CostUsd));
    }

    [Fact]
    public async Task An_api_key_has_its_own_limit_within_its_users()
    {
        var user = await NewUserAsync();
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        var outcomes = new List<GatewayOutcome>();
        for (var i = 0; i < 4; i++)
        {
            outcomes.Add(await fixture.Gateway.CompleteAsync(user.Ask("echo/echo", "hi") with { Source = UsageSource.Api, ApiKeyId = first }, Ct));
        }
        var otherKey = await fixture.Gateway.CompleteAsync(user.Ask("echo/echo", "hi") with { Source = UsageSource.Api, ApiKeyId = second }, Ct);

        Assert.Equal(3, outcomes.Count(o => o.Succeeded));
        Assert.Contains("this API key's limit of 3", outcomes[^1].Error!.Message, StringComparison.Ordinal);
        Assert.True(otherKey.Succeeded);
    }

    [Fact]
    public async Task Tokens_per_minute_come_from_the_role_and_background_work_is_never_refused()
    {
        var author = await NewUserAsync(AppRoles.Author);

        var first = await fixture.Gateway.CompleteAsync(author.Ask("echo/echo", "one two three"), Ct);
        var second = await fixture.Gateway.CompleteAsync(author.Ask("echo/echo", "again"), Ct);
        var background = await fixture.Gateway.CompleteAsync(author.Ask("echo/echo", "title") with { Source = UsageSource.Background }, Ct);

        Assert.True(first.Succeeded);
        Assert.Equal(GatewayErrorCode.UsageLimited, second.Error?.Code);
        Assert.Contains("tokens per minute", second.Error!.Message, StringComparison.Ordinal);
        Assert.True(background.Succeeded);
    }

    [Fact]
    public async Task Concurrent_calls_never_spend_past_the_monthly_budget()
    {
        var user = await NewUserAsync(AppRoles.Admin); // 50 requests a minute: only the budget stops these
        const decimal budget = 0.03m;
        await SetBudgetAsync(user, budget);

        // gpt-4o (2.50 $ / 10 $ per million, no fallback): each call reserves up to 1000 output
        // tokens (about 0.010 $) and really costs 0.0072 $ (the recorded 712 tokens).
        // Streamed, so each answer is the recorded 712-token one whatever the timing.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
            (await fixture.Gateway.StreamAsync(user.Ask("openai/gpt-4o") with { MaxOutputTokens = 1000 }, Ct).CollectAsync()).Last));

        var succeeded = outcomes.Count(o => o is GatewayCompleted);
        var spent = await SpentAsync(user, succeeded);
        // All at once, 2 fit; had some finished before others asked, at most 3 would (0.0072 $ spent each).
        Assert.InRange(succeeded, 2, 3);
        Assert.True(spent <= budget, $"spent {spent} of {budget}");
        var refusal = outcomes.OfType<GatewayFailed>().First().Error;
        Assert.Equal(GatewayErrorCode.BudgetExhausted, refusal.Code);
        Assert.Contains("monthly budget of $0.03", refusal.Message, StringComparison.Ordinal);
        Assert.True(refusal.RetryAfter > TimeSpan.Zero);
    }

    private async Task<Guid> NewUserAsync(string role = AppRoles.User)
    {
        var id = await TestUsers.RegisterAsync(fixture.Services);
        await TestUsers.SetRoleAsync(fixture.Services, id, role);
        return id;
    }

    private async Task SetBudgetAsync(Guid userId, decimal budget)
    {
        await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.MonthlyBudgetUsd, budget), Ct);
    }

    private async Task<decimal> SpentAsync(Guid userId, int successes)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var db = await fixture.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
            var rows = await db.UsageRecords.Where(u => u.UserId == userId && u.Status == UsageStatus.Success).ToListAsync(Ct);
            if (rows.Count >= successes || DateTime.UtcNow > deadline)
            {
                return rows.Sum(r => r.CostUsd ?? 0);
            }
            await Task.Delay(50, Ct);
        }
    }
}

/// <summary>At most three calls under way per person, and answers of at most 1,000 characters.</summary>
public sealed class TightCallsFixture(PostgresServer server) : GatewayFixture(server)
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Limits:MaxOpenCallsPerUser"] = "3";
        settings["Gateway:MaxAnswerCharacters"] = "1000";
    }
}

/// <summary>What one person can hold open, and how much one answer can bring in.</summary>
public sealed class OpenCallTests(TightCallsFixture fixture) : IClassFixture<TightCallsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_person_holds_at_most_the_open_calls_allowed_and_one_more_may_start_when_one_ends()
    {
        var user = await TestUsers.RegisterAsync(fixture.Services);
        var other = await TestUsers.RegisterAsync(fixture.Services);
        var open = new List<IAsyncEnumerator<GatewayEvent>>();
        for (var i = 0; i < 3; i++)
        {
            var stream = fixture.Gateway.StreamAsync(user.Ask("echo/echo", "one two three four"), Ct).GetAsyncEnumerator(Ct);
            while (await stream.MoveNextAsync() && stream.Current is not GatewayDelta)
            {
            }
            Assert.IsType<GatewayDelta>(stream.Current); // under way, held open by not reading on
            open.Add(stream);
        }

        var fourth = (await fixture.Gateway.StreamAsync(user.Ask("echo/echo", "four"), Ct).CollectAsync()).Last;
        var someoneElse = (await fixture.Gateway.StreamAsync(other.Ask("echo/echo", "mine"), Ct).CollectAsync()).Last;
        await open[0].DisposeAsync();
        var afterOneEnded = (await fixture.Gateway.StreamAsync(user.Ask("echo/echo", "five"), Ct).CollectAsync()).Last;

        var refusal = Assert.IsType<GatewayFailed>(fourth).Error;
        Assert.Equal(GatewayErrorCode.UsageLimited, refusal.Code);
        Assert.Contains("3 answers being written at once", refusal.Message, StringComparison.Ordinal);
        Assert.IsType<GatewayCompleted>(someoneElse);
        Assert.IsType<GatewayCompleted>(afterOneEnded);
        foreach (var stream in open.Skip(1))
        {
            await stream.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_answer_past_the_longest_taken_is_stopped_and_ends_as_failed_with_what_came()
    {
        var user = await TestUsers.RegisterAsync(fixture.Services);
        var request = user.Ask("openai/gpt-4o");

        var (deltas, last) = await fixture.Gateway.StreamAsync(request, Ct).CollectAsync();

        var failed = Assert.IsType<GatewayFailed>(last);
        Assert.Equal(GatewayErrorCode.AnswerTooLong, failed.Error.Code);
        Assert.Contains("1,000 characters", failed.Error.Message, StringComparison.Ordinal);
        Assert.InRange(string.Concat(deltas).Length, 900, 1000);
        Assert.Equal(string.Concat(deltas), failed.PartialText);
        Assert.True(ProviderFixtures.OpenAIStreamText().Length > 2000, "the recording is long enough to be cut");
    }
}
