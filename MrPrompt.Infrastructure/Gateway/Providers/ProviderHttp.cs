namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// One connection pool for every provider call. Draining is off: by default .NET reads up to 2 seconds
/// of an abandoned response to reuse its connection, which would keep a cancelled stream (and the
/// provider's meter) running that long. Closing the connection stops generation upstream at once.
/// </summary>
public sealed class ProviderHttp : IDisposable
{
    private readonly SocketsHttpHandler _sockets = new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxResponseDrainSize = 0,
        ResponseDrainTimeout = TimeSpan.Zero,
        AutomaticDecompression = System.Net.DecompressionMethods.All,
    };

    /// <summary>For the OpenAI SDK, which applies its own network timeout.</summary>
    public HttpClient Shared { get; }

    public ProviderHttp() => Shared = new HttpClient(_sockets, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>A client over the shared pool with <paramref name="handler"/> in front and its own timeout.</summary>
    public HttpClient With(DelegatingHandler handler, TimeSpan timeout)
    {
        handler.InnerHandler = _sockets;
        return new HttpClient(handler, disposeHandler: false) { Timeout = timeout };
    }

    public void Dispose()
    {
        Shared.Dispose();
        _sockets.Dispose();
    }
}
