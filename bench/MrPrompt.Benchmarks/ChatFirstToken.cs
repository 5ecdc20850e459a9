using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure;
using MrPrompt.Infrastructure.Chat;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Benchmarks;

/// <summary>
/// Time to first token of a chat asked in the browser, measured where the page sees it: from <see cref="ChatService"/>'s
/// send to the first text on the runner's live answer, through the real gateway to the mock upstream (first byte after
/// 20 ms). Uses only what every version since the runner has (send, find the live answer), so the same file measures
/// an older commit side by side (bench/chat-first-token.sh).
/// </summary>
internal static class ChatFirstToken
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sends = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        var port = args.Length > 1 ? args[1] : "5312";
        var work = Path.Combine(Path.GetTempPath(), "mrprompt-bench", "ttft-" + Guid.NewGuid().ToString("N")[..8]);
        await using var server = new EmbeddedPostgresServer(new EmbeddedPostgresOptions(Path.Combine(work, "postgres"), null, "bench"), NullLogger<EmbeddedPostgresServer>.Instance);
        await server.StartAsync();
        _ = MockUpstream.RunAsync([port]);
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Default"] = server.AppConnectionString(),
                ["ConnectionStrings:Migrations"] = server.ConnectionString(),
                ["Providers:mock:Kind"] = "OpenAICompatible",
                ["Providers:mock:BaseUrl"] = $"http://127.0.0.1:{port}/v1",
                ["Providers:mock:ApiKey"] = "bench",
                ["Providers:mock:Models:0"] = "quick",
                ["Chat:GenerateTitles"] = "false",
                ["Limits:RequestsPerMinute"] = "100000000",
                ["Limits:TokensPerMinute"] = "1000000000",
                ["Limits:InteractiveActionsPerMinute"] = "100000",
                ["Limits:MaxOpenCallsPerUser"] = "10000",
            }).Build();
            var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
            services.AddInfrastructure(configuration);
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<DatabaseStartup>().RunAsync();
            Guid user;
            await using (var scope = provider.CreateAsyncScope())
            {
                var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
                var account = new ApplicationUser { UserName = "ttft@example.com", Email = "ttft@example.com", EmailConfirmed = true };
                await users.CreateAsync(account, "Bench-pass1");
                user = account.Id;
            }
            var chat = provider.GetRequiredService<ChatService>();
            var runner = provider.GetRequiredService<GenerationRunner>();
            using var acting = MrPrompt.Infrastructure.Persistence.RowSecurity.DataScope.ForUser(user);

            await MeasureAsync(chat, runner, user, 100); // warm-up: JIT, pools
            var times = await MeasureAsync(chat, runner, user, sends);
            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"chat first token (send -> first text, 20 ms upstream): p50 {times[times.Count / 2]:0.00} ms, p90 {times[(int)(times.Count * 0.9)]:0.00} ms, p99 {times[(int)(times.Count * 0.99)]:0.00} ms ({sends} sends)"));
            return 0;
        }
        finally
        {
            await server.StopAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<List<double>> MeasureAsync(ChatService chat, GenerationRunner runner, Guid user, int sends)
    {
        var times = new List<double>(sends);
        for (var i = 0; i < sends; i++)
        {
            var firstText = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var clock = Stopwatch.StartNew();
            var sent = await chat.StartChatAsync(user, new SessionSettings("mock/quick"), $"Question {i}");
            var live = runner.Find(sent.Value!.AssistantMessageId);
            if (live is not null)
            {
                void Check()
                {
                    if (live.Text.Length > 0 || live.Status != MessageStatus.Streaming)
                    {
                        firstText.TrySetResult();
                    }
                }
                live.Changed += Check;
                Check();
                await firstText.Task;
                live.Changed -= Check;
                times.Add(clock.Elapsed.TotalMilliseconds);
                await live.Finished;
            }
        }
        return times;
    }
}
