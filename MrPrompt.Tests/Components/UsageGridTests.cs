using Bunit;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Usage;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Pages.Admin;

namespace MrPrompt.Tests.Components;

/// <summary>The usage grid asks the server for each page in the order the admin picks, and shows each row's story.</summary>
public sealed class UsageGridTests : IAsyncDisposable
{
    private readonly BunitContext _context = MudComponents.CreateContext();
    private readonly List<UsagePageRequest> _requests = [];

    private static UsageRow Row(int i) => new()
    {
        Id = Guid.NewGuid(), ExecutedAt = new DateTimeOffset(2026, 11, 30, 9, 0, i, TimeSpan.Zero), TraceId = $"trace{i:D4}abcdefabcdef",
        UserId = Guid.NewGuid(), UserEmail = $"user{i}@example.com", Source = UsageSource.Ui, Provider = "openai", Model = "gpt-4o-mini",
        Status = UsageStatus.Success, Attempt = 1, InputTokens = 1200 + i, OutputTokens = 300, CostUsd = 0.000360m, LatencyMs = 1500, TimeToFirstTokenMs = 210,
    };

    private IRenderedComponent<UsageGrid> Render(long total, params UsageRow[] rows) =>
        _context.Render<UsageGrid>(p => p.Add(g => g.Load, (request, _) =>
        {
            _requests.Add(request);
            return Task.FromResult(new UsageRowsPage(rows, total));
        }));

    [Fact]
    public void The_first_page_is_the_newest_fifty_and_rows_read_as_calls()
    {
        var grid = Render(120,
            Row(1) with { Source = UsageSource.Api, ApiKeyName = "nightly job", PromptKey = "summarize", PromptVersion = 3, PromptVersionId = Guid.NewGuid() },
            Row(2) with { Status = UsageStatus.Error, ErrorCode = "provider_unavailable", CostUsd = null, TimeToFirstTokenMs = null },
            Row(3) with { Status = UsageStatus.CacheHit, TokensEstimated = true });

        grid.WaitForAssertion(() => Assert.Equal(3, grid.FindAll("tbody tr.mud-table-row").Count));

        Assert.Equal(new UsagePageRequest(UsageSort.ExecutedAt, true, 0, 50), _requests.Single());
        var rows = grid.FindAll("tbody tr.mud-table-row").Select(r => r.TextContent).ToList();
        Assert.Contains("2026-11-30 09:00:01", rows[0]);
        Assert.Contains("API key · nightly job", rows[0]);
        Assert.Contains("summarize v3", rows[0]);
        Assert.Contains("$0.00036", rows[0]);
        Assert.Contains("trace000…", rows[0]);
        Assert.Contains("provider_unavailable", rows[1]);
        Assert.Contains("cost unknown", rows[1]);
        Assert.Contains("cached", rows[2]);
        Assert.Contains("1,203*", rows[2]);
        Assert.Contains("1-50 of 120", grid.Find(".mud-table-pagination").TextContent);
    }

    [Fact]
    public async Task Sorting_and_paging_ask_the_server_again()
    {
        var grid = Render(120, Row(1));
        grid.WaitForAssertion(() => Assert.Single(_requests));

        await grid.Find("th:has(.column-header) .column-header:contains('Cost') .sortable-column-header").ClickAsync(new());
        grid.WaitForAssertion(() => Assert.Equal(2, _requests.Count));
        await grid.Find("button[aria-label='Next page']").ClickAsync(new());
        grid.WaitForAssertion(() => Assert.Equal(3, _requests.Count));

        Assert.Equal(UsageSort.CostUsd, _requests[1].Sort);
        Assert.Equal((UsageSort.CostUsd, 50, 50), (_requests[2].Sort, _requests[2].Skip, _requests[2].Take));
    }

    [Fact]
    public void Nothing_matching_says_so()
    {
        var grid = Render(0);

        grid.WaitForAssertion(() => Assert.Contains("No calls match.", grid.Markup));
    }

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
