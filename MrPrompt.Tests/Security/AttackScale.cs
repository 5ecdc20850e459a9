namespace MrPrompt.Tests.Security;

/// <summary>
/// How many times the attack suite's generated counts are multiplied: 1 in the default run, more for the
/// long variants (<c>MRP_ATTACK_SCALE=10 dotnet test MrPrompt.Tests --filter FullyQualifiedName~Security</c>).
/// </summary>
internal static class AttackScale
{
    public static int Factor { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("MRP_ATTACK_SCALE"), out var factor) && factor > 1 ? factor : 1;
}
