using MrPrompt.Infrastructure.Cluster;
using System.Security.Claims;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Infrastructure.Gateway.Providers;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Usage;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Pages.Admin;

namespace MrPrompt.Tests.Components;

/// <summary>
/// The admin usage page's own logic, over the real report on real Postgres: the default range's
/// figures, a filter chosen from the breakdown narrowing every figure, a range that covers nothing, and
/// an admin demoted while the page is open getting no data.
/// </summary>
public sealed class UsagePageTests(PostgresServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private readonly BunitContext _context = MudComponents.CreateContext();
    private readonly FakeTimeProvider _clock = new(Now);
    private ServiceProvider _services = null!;
    private Guid _admin;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await server.CreateDatabaseAsync("usagepage");
        _services = TestDatabase.BuildServices(connectionString, _clock);
        await _services.GetRequiredService<DatabaseStartup>().RunAsync();
        _admin = await TestUsers.RegisterAsync(_services, "root@example.com");
        await TestUsers.SetRoleAsync(_services, _admin, AppRoles.Admin);

        await using (var db = await _services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            // Within the last 24 hours: three OpenAI calls (one failed) and two Anthropic calls; and one OpenAI call a week ago.
            db.UsageRecords.AddRange(
                Row("openai", "gpt-4o-mini", Now.AddHours(-1), UsageStatus.Success, 0.01m),
                Row("openai", "gpt-4o-mini", Now.AddHours(-2), UsageStatus.Success, 0.02m),
                Row("openai", "gpt-4o-mini", Now.AddHours(-3), UsageStatus.Error, 0m),
                Row("anthropic", "claude-3-opus-latest", Now.AddHours(-4), UsageStatus.Success, 0.30m),
                Row("anthropic", "claude-3-opus-latest", Now.AddHours(-5), UsageStatus.Success, 0.40m),
                Row("openai", "gpt-4o", Now.AddDays(-7), UsageStatus.Success, 1m));
            await db.SaveChangesAsync();
        }

        foreach (var service in new[] { typeof(UsageReport), typeof(UsageRetentionPolicy), typeof(AccountDirectory), typeof(ProviderCatalog), typeof(AdminGate), typeof(InstanceIdentity) })
        {
            _context.Services.AddSingleton(service, _services.GetRequiredService(service));
        }
        _context.Services.AddSingleton<TimeProvider>(_clock);
        _context.Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        _context.Services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        _context.AddAuthorization().SetAuthorized("root@example.com").SetRoles(AppRoles.Admin)
            .SetClaims(new Claim(ClaimTypes.NameIdentifier, _admin.ToString()));
        // The page asks the database only once its circuit is live, not while prerendering.
        _context.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    private UsageRecord Row(string provider, string model, DateTimeOffset at, UsageStatus status, decimal cost) => new()
    {
        Id = Guid.CreateVersion7(at), UserId = _admin, Provider = provider, Model = model, Source = UsageSource.Ui, Status = status,
        Attempt = 1, InputTokens = 100, OutputTokens = 50, LatencyMs = 900, CostUsd = cost, ErrorCode = status == UsageStatus.Error ? "provider_unavailable" : null,
        TraceId = Guid.NewGuid().ToString("N"), ExecutedAt = at,
    };

    private static string Figure(IRenderedComponent<UsagePage> page, string testId) => page.Find($"[data-testid={testId}]").TextContent.Trim();

    [Fact]
    public void The_default_range_shows_the_last_day_and_choosing_a_provider_narrows_every_figure()
    {
        var page = _context.Render<UsagePage>();

        page.WaitForAssertion(() => Assert.Equal("5", Figure(page, "usage-requests")), TimeSpan.FromSeconds(30));
        Assert.Equal("$0.73", Figure(page, "usage-cost"));
        Assert.Equal("20%", Figure(page, "usage-error-rate"));
        Assert.Equal(2, page.FindAll("[data-testid=usage-group]").Count); // by provider: anthropic and openai

        var openAi = page.FindAll("[data-testid=usage-group] a, [data-testid=usage-group] .mud-link").First(l => l.TextContent.Contains("openai", StringComparison.OrdinalIgnoreCase));
        openAi.Click();

        page.WaitForAssertion(() => Assert.Equal("3", Figure(page, "usage-requests")), TimeSpan.FromSeconds(30));
        Assert.Equal("$0.03", Figure(page, "usage-cost"));
        Assert.Equal("33.3%", Figure(page, "usage-error-rate"));
    }

    [Fact]
    public async Task An_admin_demoted_while_the_page_is_open_gets_no_more_figures()
    {
        var page = _context.Render<UsagePage>();
        page.WaitForAssertion(() => Assert.Equal("5", Figure(page, "usage-requests")), TimeSpan.FromSeconds(30));

        await TestUsers.SetRoleAsync(_services, _admin, AppRoles.User);
        await page.Find("[data-testid=usage-refresh]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=usage-totals]")), TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        await _services.DisposeAsync();
    }
}
