namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// Two connection pools for provider calls: one for the operator's addresses, one for addresses people
/// typed, which connects only to public addresses and follows no redirect (a redirect could point
/// inside). Draining is off: by default .NET reads up to 2 seconds of an abandoned response to reuse its
/// connection, which would keep a cancelled stream (and the provider's meter) running that long.
/// Closing the connection stops generation upstream at once.
/// </summary>
public sealed class ProviderHttp : IDisposable
{
    private readonly SocketsHttpHandler _operatorSockets = NewPool();
    private readonly SocketsHttpHandler _publicSockets;
    private readonly HttpClient _operatorShared;
    private readonly HttpClient _publicShared;

    public ProviderHttp(PublicOnlyConnector connector)
    {
        _publicSockets = NewPool();
        _publicSockets.ConnectCallback = connector.ConnectAsync;
        _publicSockets.AllowAutoRedirect = false;
        _operatorShared = new HttpClient(_operatorSockets, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        _publicShared = new HttpClient(_publicSockets, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private static SocketsHttpHandler NewPool() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxResponseDrainSize = 0,
        ResponseDrainTimeout = TimeSpan.Zero,
        AutomaticDecompression = System.Net.DecompressionMethods.All,
    };

    /// <summary>For the OpenAI SDK, which applies its own network timeout.</summary>
    public HttpClient Shared(ProviderEndpoint endpoint) => endpoint.PublicOnly ? _publicShared : _operatorShared;

    /// <summary>A client over the endpoint's pool with <paramref name="handler"/> in front and its own timeout.</summary>
    public HttpClient With(ProviderEndpoint endpoint, DelegatingHandler handler, TimeSpan timeout)
    {
        handler.InnerHandler = endpoint.PublicOnly ? _publicSockets : _operatorSockets;
        return new HttpClient(handler, disposeHandler: false) { Timeout = timeout };
    }

    public void Dispose()
    {
        _operatorShared.Dispose();
        _publicShared.Dispose();
        _operatorSockets.Dispose();
        _publicSockets.Dispose();
    }
}
