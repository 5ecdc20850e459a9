using System.Globalization;

namespace MrPrompt.Web.Components.Shared;

/// <summary>How tokens, time and money read on every page.</summary>
public static class UsageFormat
{
    public static string Cost(decimal? cost) =>
        cost is { } value ? "$" + value.ToString("0.######", CultureInfo.InvariantCulture) : "cost unknown";

    public static string Tokens(int input, int output, bool estimated) =>
        $"{input:N0} in · {output:N0} out{(estimated ? " (estimated)" : "")}";

    public static string Latency(int milliseconds) =>
        milliseconds < 10_000 ? $"{milliseconds:N0} ms" : $"{milliseconds / 1000.0:0.0} s";
}
