using System.Security.Claims;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Domain.Accounts;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Admin;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Pages.Admin;

namespace MrPrompt.Tests.Jobs;

/// <summary>
/// The admin console's Jobs page over the real queue: what waits by priority, what runs on which instance, which
/// instances are alive, the failed jobs with their errors, and running a failed job again or discarding it (audited).
/// </summary>
public sealed class JobsConsoleTests(JobsFixture fixture) : IClassFixture<JobsFixture>, IAsyncLifetime
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private readonly BunitContext _context = MudComponents.CreateContext();
    private Guid _admin;

    public async ValueTask InitializeAsync()
    {
        _admin = await fixture.NewUserAsync();
        await TestUsers.SetRoleAsync(fixture.Services, _admin, AppRoles.Admin);
        _context.Services.AddSingleton(fixture.Services.GetRequiredService<JobsConsole>());
        _context.Services.AddSingleton(fixture.Services.GetRequiredService<AdminGate>());
        _context.Services.AddSingleton(fixture.Services.GetRequiredService<MrPrompt.Infrastructure.Cluster.InstanceIdentity>());
        _context.Services.AddSingleton<TimeProvider>(fixture.FakeClock);
        _context.Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        _context.Services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        _context.AddAuthorization().SetAuthorized("admin@example.com").SetRoles(AppRoles.Admin)
            .SetClaims(new Claim(ClaimTypes.NameIdentifier, _admin.ToString()));
        _context.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task The_page_shows_the_queue_and_a_failed_job_runs_again_then_is_discarded_both_audited()
    {
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        var user = await TestUsers.RegisterAsync(fixture.Services, email);
        var running = await fixture.QueueAsync(user, "running");
        Assert.Equal(running.JobId, Assert.Single(await fixture.Queue.ClaimAsync("instance-y", 1, Ct)).Id);
        var failing = await fixture.QueueAsync(user, "failing");
        await FailAsync(failing, "instance-x");
        await fixture.QueueAsync(user, "urgent", priority: 3);
        await fixture.QueueAsync(user, "ordinary");
        await fixture.Queue.HeartbeatAsync("instance-x", fixture.FakeClock.GetUtcNow(), running: 0, Ct);
        await fixture.Queue.HeartbeatAsync("instance-gone", fixture.FakeClock.GetUtcNow().AddHours(-1), running: 0, Ct);
        fixture.FakeClock.Advance(TimeSpan.FromSeconds(90));
        await fixture.Queue.HeartbeatAsync("instance-x", fixture.FakeClock.GetUtcNow(), running: 0, Ct);

        var page = _context.Render<JobsPage>();

        // Another test's failed job may be listed too: this one's rows are told by their owner.
        IEnumerable<AngleSharp.Dom.IElement> Mine(IRenderedComponent<JobsPage> p) => p.FindAll("[data-testid=jobs-failed-row]").Where(row => row.TextContent.Contains(email));
        page.WaitForAssertion(() => Assert.Single(Mine(page)), TimeSpan.FromSeconds(30));
        Assert.Equal(["3 1", "0 1"], page.FindAll("[data-testid=jobs-by-priority] tbody tr").Select(r => string.Join(' ', r.QuerySelectorAll("td").Select(c => c.TextContent.Trim()))));
        Assert.Contains("oldest 1 min", page.Find("[data-testid=jobs-oldest]").TextContent);
        Assert.Equal("Running1", System.Text.RegularExpressions.Regex.Replace(page.Find("[data-testid=jobs-running]").TextContent, @"\s", ""));
        var workers = page.FindAll("[data-testid=jobs-worker]").Select(r => r.TextContent).ToList();
        Assert.Contains(workers, w => w.Contains("instance-x") && w.Contains("alive"));
        Assert.Contains(workers, w => w.Contains("instance-gone") && w.Contains("gone"));
        Assert.Contains("provider_unavailable: The provider is down", Mine(page).Single().TextContent);

        Mine(page).Single().QuerySelector("[data-testid=job-retry]")!.Click();

        page.WaitForAssertion(() => Assert.Empty(Mine(page)), TimeSpan.FromSeconds(30));
        var retried = await fixture.JobAsync(failing.JobId);
        Assert.Equal(JobStatus.Pending, retried.Status);
        Assert.Equal(0, retried.Attempts);
        var answer = (await fixture.MessageAsync(failing.AssistantMessageId))!;
        Assert.Equal((MessageStatus.Streaming, ""), (answer.Status, answer.Content));

        await FailAsync(failing, "instance-x"); // it failed once more: opened again, the page lists it
        page.Dispose();
        var again = _context.Render<JobsPage>();
        again.WaitForAssertion(() => Assert.Single(Mine(again)), TimeSpan.FromSeconds(30));
        Mine(again).Single().QuerySelector("[data-testid=job-discard]")!.Click();

        again.WaitForAssertion(() => Assert.Empty(Mine(again)), TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Cancelled, (await fixture.JobAsync(failing.JobId)).Status);
        Assert.Equal(MessageStatus.Failed, (await fixture.MessageAsync(failing.AssistantMessageId))!.Status);
        await using var db = await fixture.DbAsync();
        var audited = await db.AuditEvents.Where(e => e.TargetId == failing.JobId).OrderBy(e => e.At).Select(e => new { e.Action, e.ActorId }).ToListAsync(Ct);
        Assert.Equal(["job.retry", "job.discard"], audited.Select(a => a.Action));
        Assert.All(audited, a => Assert.Equal(_admin, a.ActorId));
    }

    [Fact]
    public async Task An_admin_demoted_while_the_page_is_open_can_neither_retry_nor_discard()
    {
        var user = await fixture.NewUserAsync();
        var failing = await fixture.QueueAsync(user, "fails for the demoted");
        await FailAsync(failing, "instance-z");
        var page = _context.Render<JobsPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=job-retry]")), TimeSpan.FromSeconds(30));

        await TestUsers.SetRoleAsync(fixture.Services, _admin, AppRoles.User);
        page.FindAll("[data-testid=job-retry]").Last().Click();

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=jobs-failed]")), TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Failed, (await fixture.JobAsync(failing.JobId)).Status);
    }

    /// <summary>Runs <paramref name="exchange"/>'s job as <paramref name="instance"/> to a failure after its last attempt.</summary>
    private async Task FailAsync(MrPrompt.Infrastructure.Chat.Exchange exchange, string instance)
    {
        var claimed = await fixture.Queue.ClaimAsync(instance, 100, Ct);
        Assert.Contains(claimed, j => j.Id == exchange.JobId);
        foreach (var other in claimed.Where(j => j.Id != exchange.JobId))
        {
            await fixture.Queue.GiveBackAsync(instance, other.Id, Ct);
        }
        Assert.True(await fixture.Queue.FinishAsync(instance, exchange.JobId, JobStatus.Failed, ("provider_unavailable", "The provider is down"),
            db => db.Messages.Where(m => m.Id == exchange.AssistantMessageId).ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, MessageStatus.Failed), Ct), Ct));
    }
}
