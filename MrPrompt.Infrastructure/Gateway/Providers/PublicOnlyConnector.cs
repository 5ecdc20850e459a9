using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using MrPrompt.Domain.Providers;

namespace MrPrompt.Infrastructure.Gateway.Providers;

/// <summary>
/// Opens connections for provider addresses a person typed (<see cref="ProviderEndpoint.PublicOnly"/>):
/// the host is resolved here and every address it resolves to must be public and not this machine's
/// own, checked at connect time so a name that changes its answer between check and use (DNS
/// rebinding) gains nothing. The hosts in <see cref="GatewayOptions.AllowedPrivateHosts"/> are let
/// through. Every refusal and failure reads the same, so probing cannot tell which hosts or ports exist.
/// </summary>
public sealed class PublicOnlyConnector(IOptions<GatewayOptions> options)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var port = context.DnsEndPoint.Port;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException)
        {
            throw Unreachable();
        }
        if (addresses.Length == 0 || (!options.Value.AllowsPrivateHost(host, port) && addresses.Any(IsOffLimits)))
        {
            throw Unreachable();
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException)
        {
            socket.Dispose();
            throw Unreachable();
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool IsOffLimits(IPAddress address) => !PublicAddresses.IsPublic(address) || IsThisMachine(address);

    /// <summary>A public address of this machine would reach the app itself (and anything else listening here).</summary>
    private static bool IsThisMachine(IPAddress address)
    {
        var candidate = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Any(local => local.Address.Equals(candidate));
    }

    private static HttpRequestException Unreachable() => new(HttpRequestError.ConnectionError, "The provider's address could not be reached.");
}
