using MrPrompt.Domain.Usage;

namespace MrPrompt.Infrastructure.Usage;

/// <summary>Where the gateway drops usage rows. Never blocks the caller.</summary>
public interface IUsageSink
{
    void Record(UsageRecord record);
}
