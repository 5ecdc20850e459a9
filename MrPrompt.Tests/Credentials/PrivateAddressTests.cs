using MrPrompt.Domain.Credentials;
using MrPrompt.Domain.Gateway;
using MrPrompt.Domain.Providers;
using MrPrompt.Infrastructure.Credentials;
using MrPrompt.Infrastructure.Gateway;
using MrPrompt.Tests.Gateway;
using MrPrompt.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace MrPrompt.Tests.Credentials;

/// <summary>
/// Server-side request forgery: a base URL a person types reaches only public addresses, whatever name,
/// spelling or redirect leads inside. The fixture lets personal keys reach its fake upstream's one
/// address (Gateway:AllowedPrivateHosts); <see cref="_inside"/> is another live service on loopback.
/// </summary>
public sealed class PrivateAddressTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>, IAsyncLifetime
{
    private const string Refusal = "Could not reach Probe at this address. Check the base URL.";
    private FakeProviderServer _inside = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private CredentialService Credentials => fixture.Services.GetRequiredService<CredentialService>();

    public async ValueTask InitializeAsync()
    {
        fixture.Upstream.Reset();
        _inside = await FakeProviderServer.StartAsync();
    }

    public async ValueTask DisposeAsync() => await _inside.DisposeAsync();

    private NewCredential Probe(string baseUrl) => new(ProviderPreset.CustomId, "Probe", FakeProviderServer.ValidKey, baseUrl);

    [Fact]
    public async Task Probes_at_loopback_metadata_private_ranges_and_a_redirect_inside_are_all_refused_alike()
    {
        var port = new Uri(_inside.BaseUrl).Port;
        var upstreamPort = new Uri(fixture.Upstream.BaseUrl).Port;
        string[] probes =
        [
            $"http://127.0.0.1:{port}/v1",
            $"http://127.1.2.3:{port}/v1",
            $"http://2130706433:{port}/v1", // 127.0.0.1 as one number
            $"http://0.0.0.0:{port}/v1",
            $"http://[::1]:{port}/v1",
            $"http://[::ffff:127.0.0.1]:{port}/v1",
            $"http://localhost:{port}/v1", // a name that resolves to loopback
            $"http://localhost:{upstreamPort}/v1", // the allowed service, by a name that is not allowed
            "http://169.254.169.254/latest/v1", // cloud metadata
            "http://[fd00:ec2::254]/v1",
            "http://10.0.0.1/v1",
            "http://172.16.0.1:8080/v1",
            "http://192.168.1.1/v1",
            "http://100.64.0.1/v1",
            fixture.Upstream.RedirectingOpenAIBaseUrl, // an allowed address whose answer is a redirect to loopback
        ];
        var userId = await TestUsers.RegisterAsync(fixture.Services);
        var refused = 0;

        foreach (var probe in probes)
        {
            var (saved, errors) = await Credentials.AddAsync(userId, Probe(probe), Ct);
            Assert.True(saved is null, $"{probe} was reached");
            Assert.Equal([Refusal], errors.For(CredentialRules.BaseUrlField));
            refused++;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"SSRF probes: {probes.Length}, refused alike: {refused}");
        Assert.Empty(_inside.Requests);
        Assert.All(fixture.Upstream.Requests, r => Assert.StartsWith("/redirect/", r.Path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_key_saved_without_checking_cannot_make_the_gateway_reach_inside()
    {
        var userId = await TestUsers.RegisterAsync(fixture.Services);
        var (saved, errors) = await Credentials.AddAsync(userId, Probe($"http://localhost:{new Uri(_inside.BaseUrl).Port}/v1") with { Unchecked = true }, Ct);
        Assert.True(errors.IsEmpty);

        var (_, last) = await fixture.Gateway.StreamAsync(userId.Ask($"{saved!.Provider}/gpt-4o-mini"), Ct).CollectAsync();

        Assert.Equal(GatewayErrorCode.ProviderUnavailable, Assert.IsType<GatewayFailed>(last).Error.Code);
        Assert.Empty(_inside.Requests);
    }

    [Fact]
    public async Task The_operators_own_providers_on_loopback_and_allowed_private_hosts_still_work()
    {
        var userId = await TestUsers.RegisterAsync(fixture.Services);

        var (_, system) = await fixture.Gateway.StreamAsync(userId.Ask("openai/gpt-4o-mini"), Ct).CollectAsync();
        var (saved, errors) = await Credentials.AddAsync(userId, Probe(fixture.Upstream.OpenAIBaseUrl), Ct);

        Assert.IsType<GatewayCompleted>(system);
        Assert.True(errors.IsEmpty, string.Join(" ", errors.ByField.SelectMany(e => e.Value)));
        Assert.NotNull(saved);
    }
}
