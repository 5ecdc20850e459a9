using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Domain.Jobs;
using MrPrompt.Infrastructure.Generation;
using MrPrompt.Infrastructure.Jobs;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Tests.Support;
using MrPrompt.Web.Components.Pages.Chat;
using MrPrompt.Web.Rendering;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace MrPrompt.Tests.Components;

/// <summary>
/// The message being written, fed by the real <see cref="GenerationRunner"/>. The gateway under it is
/// scripted here so the test decides when each delta arrives; provider behaviour is tested elsewhere.
/// </summary>
public sealed class StreamingMessageTests(PostgresServer server) : IAsyncLifetime
{
    private readonly BunitContext _context = MudComponents.CreateContext();
    private readonly ScriptedGateway _gateway = new();
    private ServiceProvider _services = null!;

    private GenerationRunner Runner => _services.GetRequiredService<GenerationRunner>();

    public async ValueTask InitializeAsync()
    {
        var connectionString = await server.CreateDatabaseAsync("streaming");
        _services = TestDatabase.BuildServices(connectionString, TimeProvider.System,
            configure: services => services.AddSingleton<IChatGateway>(_gateway));
        await _services.GetRequiredService<DatabaseStartup>().RunAsync();
        _context.Services.AddSingleton(Runner);
        _context.Services.AddSingleton<MarkdownRenderer>();
    }

    private LiveGeneration Start()
    {
        // The runner only needs the job in hand to stream it; with no row behind it, its ending saves nothing.
        var request = new GatewayRequest { UserId = Guid.NewGuid(), Model = new ModelRef("openai", "gpt-4o-mini"), Messages = [new AiChatMessage(Microsoft.Extensions.AI.ChatRole.User, "hi")] };
        return Runner.Run(new GenerationJob
        {
            Id = Guid.NewGuid(),
            MessageId = Guid.NewGuid(),
            SessionId = Guid.NewGuid(),
            UserId = request.UserId,
            Payload = JobPayload.Of(request, titleAfterAnswer: false).ToJson(),
        });
    }

    [Fact]
    public async Task Deltas_appear_as_they_arrive_and_the_end_is_reported_once()
    {
        var live = Start();
        var finished = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reports = 0;
        var message = _context.Render<StreamingMessage>(p => p
            .Add(m => m.MessageId, live.MessageId)
            .Add(m => m.OnFinished, id =>
            {
                Interlocked.Increment(ref reports);
                finished.TrySetResult(id);
            }));
        Assert.Contains("Waiting for the first words", message.Markup);

        await _gateway.SendAsync(new GatewayDelta("Hello **wor"));
        message.WaitForAssertion(() => Assert.Contains("Hello **wor", message.Find("[data-testid=message-text]").TextContent));
        await _gateway.SendAsync(new GatewayDelta("ld**"));
        message.WaitForAssertion(() => Assert.Equal("world", message.Find("strong").TextContent));

        _gateway.Finish();
        await live.Finished.WaitAsync(TimeSpan.FromSeconds(10), Xunit.TestContext.Current.CancellationToken);
        // The report re-renders nothing, so it is awaited rather than polled through renders.
        Assert.Equal(live.MessageId, await finished.Task.WaitAsync(TimeSpan.FromSeconds(10), Xunit.TestContext.Current.CancellationToken));
        // A second report would be queued on the renderer's dispatcher by now; a round trip through it runs whatever is queued.
        await message.InvokeAsync(() => { });
        Assert.Equal(1, reports);
    }

    [Fact]
    public async Task A_burst_of_deltas_is_coalesced_into_few_renders()
    {
        var live = Start();
        var message = _context.Render<StreamingMessage>(p => p.Add(m => m.MessageId, live.MessageId));
        var before = message.RenderCount;

        for (var i = 0; i < 500; i++)
        {
            await _gateway.SendAsync(new GatewayDelta("x"));
        }
        message.WaitForAssertion(() => Assert.Equal(500, message.Find("[data-testid=message-text]").TextContent.Trim().Length));

        Assert.True(message.RenderCount - before < 100, $"{message.RenderCount - before} renders for 500 deltas");
        _gateway.Finish();
    }

    [Fact]
    public async Task Stop_is_offered_and_reports_the_message()
    {
        var live = Start();
        Guid? stopped = null;
        var message = _context.Render<StreamingMessage>(p => p
            .Add(m => m.MessageId, live.MessageId)
            .Add(m => m.OnStop, id => stopped = id));

        await message.Find("[data-testid=stop]").ClickAsync(new());

        Assert.Equal(live.MessageId, stopped);
        _gateway.Finish();
    }

    [Fact]
    public async Task A_message_that_already_finished_reports_at_once()
    {
        var finished = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Guid.NewGuid();

        _context.Render<StreamingMessage>(p => p.Add(m => m.MessageId, id).Add(m => m.OnFinished, f => finished.TrySetResult(f)));

        Assert.Equal(id, await finished.Task.WaitAsync(TimeSpan.FromSeconds(10), Xunit.TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        _gateway.Finish();
        await _context.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>A gateway whose stream yields what the test sends, until it finishes.</summary>
    private sealed class ScriptedGateway : IChatGateway
    {
        private readonly Channel<GatewayEvent> _events = Channel.CreateUnbounded<GatewayEvent>();

        public ValueTask SendAsync(GatewayEvent item) => _events.Writer.WriteAsync(item);

        public void Finish() => _events.Writer.TryComplete();

        public async IAsyncEnumerable<GatewayEvent> StreamAsync(GatewayRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var item in _events.Reader.ReadAllAsync(cancellationToken))
            {
                yield return item;
            }
        }

        public Task<GatewayOutcome> CompleteAsync(GatewayRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
