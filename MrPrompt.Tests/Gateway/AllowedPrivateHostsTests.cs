using MrPrompt.Infrastructure.Gateway;

namespace MrPrompt.Tests.Gateway;

public sealed class AllowedPrivateHostsTests
{
    private static GatewayOptions Allowing(string hosts) => new() { AllowedPrivateHosts = hosts };

    [Fact]
    public void Entries_name_a_host_on_any_port_or_on_one_port()
    {
        var options = Allowing(" ollama.lan , 10.0.0.5:8000,[::1]:11434, fd00::7 ");

        Assert.True(options.AllowsPrivateHost("OLLAMA.lan", 11434));
        Assert.True(options.AllowsPrivateHost("10.0.0.5", 8000));
        Assert.False(options.AllowsPrivateHost("10.0.0.5", 8001));
        Assert.True(options.AllowsPrivateHost("::1", 11434));
        Assert.False(options.AllowsPrivateHost("::1", 80));
        Assert.True(options.AllowsPrivateHost("fd00::7", 443));
        Assert.False(options.AllowsPrivateHost("localhost", 11434));
        Assert.False(Allowing("").AllowsPrivateHost("localhost", 80));
    }

    [Theory]
    [InlineData("host:port")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("[::1]x")]
    public void A_bad_port_reads_as_zero_which_start_up_refuses(string entry) =>
        Assert.Contains(Allowing(entry).PrivateHosts(), h => h.Port == 0);
}
