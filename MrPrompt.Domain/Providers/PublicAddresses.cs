using System.Net;
using System.Net.Sockets;

namespace MrPrompt.Domain.Providers;

/// <summary>
/// Which network addresses a provider URL typed by a person may reach: the public internet only. Not
/// loopback, link-local (cloud metadata at 169.254.169.254), private or shared ranges, multicast or
/// reserved space, nor an IPv6 form that carries one of those IPv4 addresses inside it.
/// </summary>
public static class PublicAddresses
{
    private static readonly IPNetwork[] NotPublic =
    [
        .. new[]
        {
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
            "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
            "::/96", "::1/128", "100::/64", "2001::/32", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
        }.Select(IPNetwork.Parse),
    ];

    /// <summary>IPv6 prefixes whose addresses carry an IPv4 address, at the given byte offset.</summary>
    private static readonly (IPNetwork Prefix, int Offset)[] CarriesIPv4 =
    [
        (IPNetwork.Parse("64:ff9b::/96"), 12), // NAT64
        (IPNetwork.Parse("64:ff9b:1::/48"), 12), // local-use NAT64
        (IPNetwork.Parse("2002::/16"), 2), // 6to4
    ];

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return false;
        }
        if (NotPublic.Any(network => network.Contains(address)))
        {
            return false;
        }
        foreach (var (prefix, offset) in CarriesIPv4)
        {
            if (prefix.Contains(address))
            {
                return IsPublic(new IPAddress(address.GetAddressBytes().AsSpan(offset, 4)));
            }
        }
        return true;
    }
}
