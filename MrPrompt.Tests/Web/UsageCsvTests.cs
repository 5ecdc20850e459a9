using System.Text;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Usage;
using MrPrompt.Web.Endpoints.Admin;

namespace MrPrompt.Tests.Web;

public sealed class UsageCsvTests
{
    [Theory]
    [InlineData("plain", "plain,")]
    [InlineData(null, ",")]
    [InlineData("a,b", "\"a,b\",")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\",")]
    [InlineData("two\nlines", "\"two\nlines\",")]
    [InlineData("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\",")]
    [InlineData("+1", "'+1,")]
    [InlineData("@SUM(A1)", "'@SUM(A1),")]
    [InlineData("-2+3", "'-2+3,")]
    [InlineData("\tcmd", "'\tcmd,")]
    [InlineData("\rcmd", "\"'\rcmd\",")]
    [InlineData("job;=cmd|' /C calc'!A0", "job;'=cmd|' /C calc'!A0,")] // split on semicolons
    [InlineData("a|@SUM(A1)", "a|'@SUM(A1),")]
    [InlineData("nightly\t+1", "nightly\t'+1,")]
    [InlineData("two\n=lines", "\"two\n'=lines\",")]
    [InlineData("job - nightly", "job '- nightly,")] // split on spaces
    [InlineData("x,=1", "\"x,'=1\",")]
    [InlineData("gpt-4o-mini", "gpt-4o-mini,")]
    [InlineData("ada-b@example.com", "ada-b@example.com,")]
    public void Fields_are_quoted_when_they_must_be_and_never_read_as_formulas(string? value, string written)
    {
        var line = new StringBuilder();

        UsageCsv.Append(line, value);

        Assert.Equal(written, line.ToString());
    }

    [Fact]
    public async Task A_row_becomes_one_line_under_the_header()
    {
        var row = new UsageRow
        {
            ExecutedAt = new DateTimeOffset(2026, 11, 30, 9, 15, 0, TimeSpan.Zero), TraceId = "abc", UserEmail = "ada@example.com", UserId = Guid.Empty,
            Source = UsageSource.Api, ApiKeyName = "job, nightly", Provider = "openai", Model = "gpt-4o-mini", PromptKey = "summarize", PromptVersion = 2,
            Status = UsageStatus.Success, Attempt = 1, InputTokens = 10, OutputTokens = 5, CostUsd = 0.0000045000m, LatencyMs = 812, TimeToFirstTokenMs = null,
        };
        using var output = new MemoryStream();

        await UsageCsv.WriteAsync(Rows(row), output, TestContext.Current.CancellationToken);

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(',', UsageCsv.Columns), lines[0]);
        Assert.Equal("2026-11-30T09:15:00.000000Z,abc,ada@example.com,00000000-0000-0000-0000-000000000000,Api,\"job, nightly\",openai,gpt-4o-mini,summarize,2,Success,,1,10,5,false,0.0000045,812,,", lines[1]);
    }

    private static async IAsyncEnumerable<UsageRow> Rows(params UsageRow[] rows)
    {
        foreach (var row in rows)
        {
            await Task.Yield();
            yield return row;
        }
    }
}
