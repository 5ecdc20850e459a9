using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Prompts;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Profiles;
using MrPrompt.Infrastructure.Prompts;
using MrPrompt.Tests.Support;
using static MrPrompt.Tests.Prompts.PromptSamples;

namespace MrPrompt.Tests.Prompts;

/// <summary>Data loaders, using a prompt in chat, and the per-version figures from the usage log.</summary>
public sealed class PromptUseTests(ChatFixture fixture) : IClassFixture<ChatFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<Guid> CreateAsync(Guid user, PromptContent content, string key = "listing-description") =>
        (await fixture.PromptEditor.CreateAsync(user, Details(key), content, null, Token)).Value;

    [Fact]
    public async Task Loaders_fill_variables_with_the_callers_own_data_only()
    {
        var ada = await fixture.NewAuthorAsync();
        var bob = await fixture.NewUserAsync();
        await fixture.Chat.StartChatAsync(ada, new SessionSettings("echo/echo"), "Ada's secret plans", Token);
        await fixture.Chat.StartChatAsync(bob, new SessionSettings("echo/echo"), "Bob's holiday", Token);
        var content = Content("I am {{user.displayName}} ({{user.email}}, {{user.role}}). Recent:\n{{recentSessions.list}}", "user-profile", "recent-sessions");
        var id = (await fixture.PromptEditor.CreateAsync(ada, Details(visibility: PromptVisibility.Public), content, null, Token)).Value;
        await using var db = await fixture.DbAsync();
        var adaEmail = (await db.Users.FindAsync([ada], Token))!.Email!;
        var bobEmail = (await db.Users.FindAsync([bob], Token))!.Email!;

        var forAda = (await fixture.PromptRunner.PrepareAsync(ada, new PromptSelector(id), new Dictionary<string, object?>(), Token)).Value!;
        // Bob runs Ada's public prompt: the loaders read Bob's rows, never its author's.
        var forBob = (await fixture.PromptRunner.PrepareAsync(bob, new PromptSelector(id), new Dictionary<string, object?>(), Token)).Value!;

        Assert.Contains($"({adaEmail}, Author). Recent:\n- Ada's secret plans", forAda.UserText, StringComparison.Ordinal);
        Assert.DoesNotContain("Bob", forAda.UserText, StringComparison.Ordinal);
        Assert.Contains($"({bobEmail}, User). Recent:\n- Bob's holiday", forBob.UserText, StringComparison.Ordinal);
        Assert.DoesNotContain("Ada", forBob.UserText, StringComparison.Ordinal);
        Assert.DoesNotContain(adaEmail, forBob.UserText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_datetime_loader_tells_the_time_in_the_users_time_zone()
    {
        var user = await fixture.NewUserAsync();
        var errors = await fixture.Services.GetRequiredService<ProfileService>().UpdateAsync(user, "Kenji", null, "Asia/Tokyo", Token);
        Assert.True(errors.IsEmpty);
        var id = await CreateAsync(user, Content("{{now.date}}|{{now.timeZone}}|{{now.iso}}", "datetime"));

        var text = (await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id), new Dictionary<string, object?>(), Token)).Value!.UserText;

        var parts = text.Split('|');
        Assert.Equal("Asia/Tokyo", parts[1]);
        Assert.EndsWith("+09:00", parts[2], StringComparison.Ordinal);
        var tokyo = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"));
        Assert.True(Math.Abs((DateTimeOffset.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) - tokyo).TotalMinutes) < 2);
    }

    [Fact]
    public async Task An_unknown_time_zone_is_refused_in_the_profile()
    {
        var user = await fixture.NewUserAsync();

        var errors = await fixture.Services.GetRequiredService<ProfileService>().UpdateAsync(user, "Kenji", null, "Mars/Olympus", Token);

        Assert.Contains("time zone", errors.For("TimeZone")[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chat_message_written_from_a_prompt_records_its_version_and_the_usage_row_too()
    {
        var user = await fixture.NewUserAsync();
        var id = await CreateAsync(user, Content("Summarise {{topic}}") with { SystemPrompt = "Answer as a pirate." });
        await fixture.PromptEditor.SaveVersionAsync(user, id, Content("Summarise {{topic}} briefly") with { SystemPrompt = "Answer as a pirate." }, "shorter", Token);
        await fixture.PromptEditor.MoveLabelAsync(user, id, "production", 2, Token);
        var marker = $"tides-{Guid.NewGuid():N}";
        var prepared = (await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id), new Dictionary<string, object?> { ["topic"] = marker }, Token)).Value!;

        var sent = (await fixture.Chat.StartChatAsync(user, new SessionSettings(ChatFixture.OpenAIModel), prepared.UserText, new PromptUse(prepared.VersionId, prepared.SystemText), Token)).Value!;
        await fixture.FinishedAsync(sent.AssistantMessageId);

        var view = (await fixture.Sessions.GetAsync(user, sent.SessionId, Token))!;
        var question = view.Messages.Single(m => m.Sender == MessageSender.User);
        Assert.Equal($"Summarise {marker} briefly", question.Content);
        Assert.Equal(prepared.VersionId, question.PromptVersionId);
        Assert.Equal(new PromptOrigin(id, "listing-description", 2), view.PromptOf(question));
        Assert.Equal("Answer as a pirate.", view.Session.SystemPrompt);
        Assert.Contains(fixture.Upstream.Requests, r => r.IsChat && r.Body!.Contains(marker, StringComparison.Ordinal) && r.Body.Contains("Answer as a pirate.", StringComparison.Ordinal));

        Assert.Equal(prepared.VersionId, Assert.Single(await UiUsageRowsAsync(sent.SessionId, 1)).PromptVersionId);

        // Regenerating keeps the attribution: the answer still comes from that version's question.
        var again = (await fixture.Chat.RegenerateAsync(user, sent.SessionId, Token)).Value!;
        await fixture.FinishedAsync(again.AssistantMessageId);
        var rows = await UiUsageRowsAsync(sent.SessionId, 2);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(prepared.VersionId, r.PromptVersionId));
    }

    private async Task<List<UsageRecord>> UiUsageRowsAsync(Guid sessionId, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var db = await fixture.DbAsync();
            var rows = await db.UsageRecords.AsNoTracking().Where(u => u.ChatSessionId == sessionId && u.Source == UsageSource.Ui).ToListAsync(Token);
            if (rows.Count >= expected || DateTime.UtcNow > deadline)
            {
                return rows;
            }
            await Task.Delay(50, Token);
        }
    }

    [Fact]
    public async Task Deleting_a_labelled_prompt_keeps_the_messages_written_from_it()
    {
        var user = await fixture.NewUserAsync();
        var id = await CreateAsync(user, Content("Say {{word}}"));
        await fixture.PromptEditor.MoveLabelAsync(user, id, "production", 1, Token);
        var prepared = (await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id), new Dictionary<string, object?> { ["word"] = "hi" }, Token)).Value!;
        var sent = (await fixture.Chat.StartChatAsync(user, new SessionSettings("echo/echo"), prepared.UserText, new PromptUse(prepared.VersionId, null), Token)).Value!;
        await fixture.FinishedAsync(sent.AssistantMessageId);

        Assert.True((await fixture.PromptEditor.DeleteAsync(user, id, Token)).Value);

        Assert.Equal(PromptProblemKind.NotFound, (await fixture.PromptLibrary.GetAsync(user, id, Token)).Problem!.Kind);
        var question = (await fixture.MessageAsync(sent.UserMessageId!.Value))!;
        Assert.Equal(("Say hi", null), (question.Content, question.PromptVersionId));
    }

    [Fact]
    public async Task Per_version_figures_come_from_the_usage_log()
    {
        var user = await fixture.NewUserAsync();
        var id = await CreateAsync(user, Content());
        var v2 = (await fixture.PromptEditor.SaveVersionAsync(user, id, Content("second {{a}}"), "2", Token)).Value!;
        var v1 = (await fixture.PromptLibrary.GetAsync(user, id, Token)).Value!.Version(1)!;
        await using (var db = await fixture.DbAsync())
        {
            // v1: 20 calls, latencies 100..2000 ms, 2 errors; v2: none.
            db.UsageRecords.AddRange(Enumerable.Range(1, 20).Select(i => new UsageRecord
            {
                Id = Guid.NewGuid(), UserId = user, Provider = "openai", Model = "gpt-4o-mini", PromptVersionId = v1.Id,
                Status = i <= 2 ? UsageStatus.Error : UsageStatus.Success, InputTokens = 10 * i, OutputTokens = 10,
                LatencyMs = 100 * i, CostUsd = 0.001m, ExecutedAt = DateTimeOffset.UtcNow,
            }));
            await db.SaveChangesAsync(Token);
        }

        var stats = await fixture.PromptLibrary.StatsAsync(user, id, Token);

        var first = stats[v1.Id];
        Assert.Equal(20, first.Uses);
        Assert.Equal(115, first.AverageTokens, 3); // (10+20+…+200)/20 + 10
        Assert.Equal(1905, first.P95LatencyMs); // interpolated between 1900 and 2000
        Assert.Equal(0.1, first.ErrorRate, 3);
        Assert.Equal(0.020m, first.CostUsd);
        Assert.False(stats.ContainsKey(v2.Id));
    }

    [Fact]
    public async Task An_answer_check_with_an_unusable_schema_reports_it_instead_of_throwing()
    {
        var check = await JsonSchemaRules.CheckAnswerAsync("{\"a\": \"x\"}", """{"properties":{"a":{"type":"string","pattern":"("}}}""");

        Assert.False(check.IsValid);
        Assert.Contains("cannot be used", check.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pattern_that_backtracks_catastrophically_is_matched_in_linear_time()
    {
        var evil = new string('a', 50_000) + "!";
        const string schema = """{"type":"object","properties":{"a":{"type":"string","pattern":"^(a+)+$"},"list":{"type":"array","items":{"pattern":"^(a|aa)+$"}}}}""";

        var answer = $$"""{"a":"{{evil}}","list":["aaaa","{{evil}}"]}""";
        var check = await JsonSchemaRules.CheckAnswerAsync(answer, schema);
        // The best of three timed runs after a first (compiling) one: tests running beside this one on two
        // cores add noise, while a backtracking engine would take minutes, not milliseconds.
        var took = TimeSpan.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await JsonSchemaRules.CheckAnswerAsync(answer, schema);
            took = watch.Elapsed < took ? watch.Elapsed : took;
        }

        Assert.False(check.IsValid);
        Assert.Equal(["a: does not match the pattern ^(a+)+$", "list[1]: does not match the pattern ^(a|aa)+$"], check.Errors);
        Assert.True(took < TimeSpan.FromMilliseconds(100), $"took {took.TotalMilliseconds:0} ms");
        Assert.True((await JsonSchemaRules.CheckAnswerAsync("""{"a":"aaa","list":["aa"]}""", schema)).IsValid);
    }

    [Fact]
    public async Task A_prompt_renders_into_a_gateway_request_with_its_defaults_and_format()
    {
        var user = await fixture.NewUserAsync();
        var schema = """{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}""";
        var id = await CreateAsync(user, Content("Title for {{thing}}") with { ResponseFormat = PromptResponseFormat.JsonSchema, JsonSchema = schema });
        var prepared = (await fixture.PromptRunner.PrepareAsync(user, new PromptSelector(id), new Dictionary<string, object?> { ["thing"] = "a boat" }, Token)).Value!;

        var request = prepared.ToRequest(user, prepared.ModelOr(null)!.Value, UsageSource.Ui);

        Assert.Equal("openai/gpt-4o-mini", request.Model.ToString());
        Assert.Equal((0.5f, 200), (request.Temperature, request.MaxOutputTokens));
        Assert.Equal(Infrastructure.Gateway.GatewayResponseFormat.JsonSchema, request.ResponseFormat);
        Assert.Equal("object", request.JsonSchema!.Value.GetProperty("type").GetString());
        Assert.Equal(prepared.VersionId, request.PromptVersionId);
        Assert.Equal(["You write property listings.", "Title for a boat"], request.Messages.Select(m => m.Text));
    }

    [Theory]
    [InlineData("{\"title\": \"Sea Breeze\"}", true)]
    [InlineData("```json\n{\"title\": \"Sea Breeze\"}\n```", true)]
    [InlineData("{\"name\": \"Sea Breeze\"}", false)]
    [InlineData("Sure! Here it is.", false)]
    [InlineData("{\"title\": 3}", false)]
    public async Task Answers_are_checked_against_the_schema(string answer, bool valid)
    {
        var check = await JsonSchemaRules.CheckAnswerAsync(answer, """{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}""");

        Assert.Equal(valid, check.IsValid);
        Assert.Equal(valid, check.Errors.Count == 0);
    }
}
