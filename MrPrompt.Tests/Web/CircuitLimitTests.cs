using System.Net;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Web;

/// <summary>Live page connections (Blazor circuits): how many one person may hold, and what they are told.</summary>
public sealed class CircuitLimitTests(CircuitLimitTests.FewCircuitsApp app) : IClassFixture<CircuitLimitTests.FewCircuitsApp>
{
    public const int Cap = 3;

    public sealed class FewCircuitsApp(PostgresServer server) : MrPromptApp(server)
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["Circuits:MaxPerUser"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings["DetailedErrors"] = "true"; // an operator's setting, which must not reach browsers outside Development
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A page's connection to the circuit hub, as the browser's script opens it, with this sign-in or from this address.</summary>
    private async Task<HubConnection> ConnectAsync(string? cookie = null, string? from = null)
    {
        var builder = new HubConnectionBuilder();
        builder.Services.AddSingleton<Microsoft.AspNetCore.SignalR.Protocol.IHubProtocol, BlazorPack>();
        var connection = builder
            .WithUrl(new Uri(app.Server.BaseAddress, "_blazor"), options =>
            {
                options.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                options.Transports = HttpTransportType.LongPolling; // the in-process server has no WebSockets
                if (cookie is not null)
                {
                    options.Headers["Cookie"] = cookie;
                }
                if (from is not null)
                {
                    options.Headers["X-Forwarded-For"] = from;
                }
            })
            .Build();
        await connection.StartAsync(Ct);
        return connection;
    }

    /// <summary>Whether the server still answers on the connection: an unknown method gets an error back only over a live one.</summary>
    private static Task<bool> IsOpenAsync(HubConnection connection) => AnswersAsync(connection);

    /// <summary>Sends a call (with <paramref name="args"/>) for a method the hub lacks; whether the connection survived it.</summary>
    private static async Task<bool> AnswersAsync(HubConnection connection, params object?[] args)
    {
        try
        {
            await connection.InvokeCoreAsync("NoSuchMethod", args, Ct);
            return true;
        }
        catch (Microsoft.AspNetCore.SignalR.HubException ex) when (!ex.Message.StartsWith("The server closed the connection", StringComparison.Ordinal))
        {
            return true; // "Failed to invoke 'NoSuchMethod'": the server read the call and answered
        }
        catch (Exception ex) when (ex is Microsoft.AspNetCore.SignalR.HubException or InvalidOperationException or TaskCanceledException or IOException or HttpRequestException)
        {
            return false;
        }
    }

    private async Task<string> SignedInCookieAsync()
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new CookieContainerHandler(cookies) { InnerHandler = app.Server.CreateHandler() }) { BaseAddress = app.Server.BaseAddress };
        client.DefaultRequestHeaders.Add("Sec-Fetch-Site", "same-origin");
        Assert.Equal(HttpStatusCode.Redirect, (await AccountForms.RegisterAsync(client, $"tabs-{Guid.NewGuid():N}@example.com", "Passw0rd!")).StatusCode);
        return cookies.GetCookieHeader(app.Server.BaseAddress);
    }

    [Fact]
    public async Task One_account_holds_at_most_the_cap_and_gets_a_place_back_when_a_page_closes()
    {
        var cookie = await SignedInCookieAsync();
        var pages = new List<HubConnection>();
        for (var page = 0; page < Cap; page++)
        {
            pages.Add(await ConnectAsync(cookie));
        }
        pages.Add(await ConnectAsync(cookie)); // one more than the cap
        var someoneElse = await ConnectAsync(await SignedInCookieAsync());

        // A client counts itself connected at the handshake, a moment before the server counts its page: which
        // of the pages is refused depends on that order, that exactly one is does not.
        var open = await Task.WhenAll(pages.Select(IsOpenAsync));
        Assert.Equal(Cap, open.Count(isOpen => isOpen));
        Assert.True(await IsOpenAsync(someoneElse)); // the cap is per account

        await pages[Array.IndexOf(open, true)].DisposeAsync();
        // The server lets go of a closed page a moment after the client's close returns: a page opened in that
        // moment is refused like any beyond the cap. Within a few tries the place is back.
        HubConnection? again = null;
        for (var attempt = 0; attempt < 50 && again is null; attempt++)
        {
            var candidate = await ConnectAsync(cookie);
            if (await IsOpenAsync(candidate))
            {
                again = candidate;
            }
            else
            {
                await candidate.DisposeAsync();
            }
        }
        Assert.NotNull(again);

        foreach (var connection in pages.Where((_, i) => i != Array.IndexOf(open, true)).Append(someoneElse).Append(again))
        {
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task People_not_signed_in_are_capped_per_address()
    {
        var pages = new List<HubConnection>();
        for (var page = 0; page < Cap; page++)
        {
            pages.Add(await ConnectAsync(from: "203.0.113.77"));
        }
        var extra = await ConnectAsync(from: "203.0.113.77");
        var elsewhere = await ConnectAsync(from: "198.51.100.77");

        // Exactly the cap stays open from one address; which page is refused depends on when the server counts
        // each (a moment after the client's handshake), not on the order they were opened.
        var open = await Task.WhenAll(pages.Append(extra).Select(IsOpenAsync));
        Assert.Equal(Cap, open.Count(isOpen => isOpen));
        Assert.True(await IsOpenAsync(elsewhere));

        foreach (var connection in pages.Append(extra).Append(elsewhere))
        {
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public void Detailed_errors_stay_off_outside_development_whatever_the_setting()
    {
        Assert.False(app.Services.GetRequiredService<IOptions<CircuitOptions>>().Value.DetailedErrors);
    }

    [Fact]
    public async Task The_circuit_takes_the_longest_text_a_person_may_send_and_no_more()
    {
        var limit = MrPrompt.Web.Circuits.CircuitLimits.ReceiveLimitFor(MrPrompt.Domain.Prompts.PromptContent.TemplateMaxLength);
        var cookie = await SignedInCookieAsync();
        var fits = await ConnectAsync(cookie);
        var tooLarge = await ConnectAsync(cookie);

        // The longest template in CJK, as a page's input event carries it: JSON inside the message, 3 bytes a character.
        var longest = await AnswersAsync(fits, System.Text.Json.JsonSerializer.Serialize(
            new { value = new string('漢', MrPrompt.Domain.Prompts.PromptContent.TemplateMaxLength) },
            new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        var over = await AnswersAsync(tooLarge, new string('a', (int)limit + 1));

        Assert.True(longest, "the longest text closed the circuit");
        Assert.False(over, "a message over the limit was taken");
        Assert.Equal(4L * 100_000 + 64 * 1024, limit);
        await fits.DisposeAsync();
        await tooLarge.DisposeAsync();
    }

    /// <summary>
    /// Blazor's circuit hub speaks only "blazorpack": SignalR's MessagePack protocol under that name
    /// (Blazor's own class for it is internal).
    /// </summary>
    private sealed class BlazorPack : Microsoft.AspNetCore.SignalR.Protocol.IHubProtocol
    {
        private readonly Microsoft.AspNetCore.SignalR.Protocol.MessagePackHubProtocol _inner = new();

        public string Name => "blazorpack";

        public int Version => _inner.Version;

        public Microsoft.AspNetCore.Connections.TransferFormat TransferFormat => _inner.TransferFormat;

        public bool TryParseMessage(ref System.Buffers.ReadOnlySequence<byte> input, Microsoft.AspNetCore.SignalR.IInvocationBinder binder,
            [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Microsoft.AspNetCore.SignalR.Protocol.HubMessage? message) =>
            _inner.TryParseMessage(ref input, binder, out message);

        public void WriteMessage(Microsoft.AspNetCore.SignalR.Protocol.HubMessage message, System.Buffers.IBufferWriter<byte> output) => _inner.WriteMessage(message, output);

        public ReadOnlyMemory<byte> GetMessageBytes(Microsoft.AspNetCore.SignalR.Protocol.HubMessage message) => _inner.GetMessageBytes(message);

        public bool IsVersionSupported(int version) => _inner.IsVersionSupported(version);
    }
}
