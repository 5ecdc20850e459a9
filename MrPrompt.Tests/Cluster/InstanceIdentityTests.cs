using Microsoft.Extensions.Logging.Abstractions;
using MrPrompt.Infrastructure.Cluster;

namespace MrPrompt.Tests.Cluster;

public sealed class InstanceIdentityTests
{
    [Fact]
    public void An_instance_named_with_spaces_is_still_heard_by_the_others()
    {
        var sender = new InstanceIdentity("web 1 (eu)");
        Assert.StartsWith("web-1-(eu)/", sender.Name, StringComparison.Ordinal);
        var listener = new ClusterChanges(null!, new InstanceIdentity("web 2"), NullLogger<ClusterChanges>.Instance);
        var revoked = Guid.NewGuid();
        Assert.Equal(new ClusterChange(ClusterChangeKind.Account, revoked), listener.Read($"{sender.Name} {ClusterChangeKind.Account} {revoked}"));
        Assert.Equal(new ClusterChange(ClusterChangeKind.ApiKeys), listener.Read($"{sender.Name} {ClusterChangeKind.ApiKeys} "));
    }

    [Fact]
    public void An_instance_does_not_hear_its_own_changes_and_two_starts_never_share_a_name()
    {
        var instance = new InstanceIdentity("web-1");
        var listener = new ClusterChanges(null!, instance, NullLogger<ClusterChanges>.Instance);
        Assert.Null(listener.Read($"{instance.Name} {ClusterChangeKind.Providers} "));
        Assert.NotEqual(instance.Name, new InstanceIdentity("web-1").Name); // a restart never takes its predecessor's leases
    }
}
