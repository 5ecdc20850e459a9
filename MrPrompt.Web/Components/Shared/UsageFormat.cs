using System.Globalization;

namespace MrPrompt.Web.Components.Shared;

/// <summary>How tokens, time and money read on every page. Times are UTC, as the admin pages say.</summary>
public static class UsageFormat
{
    public static string Cost(decimal? cost) =>
        cost is { } value ? "$" + value.ToString("0.######", CultureInfo.InvariantCulture) : "cost unknown";

    /// <summary>A sum of money for totals: cents, or more digits when it is under a cent.</summary>
    public static string Money(decimal usd) =>
        usd.ToString(usd is > 0 and < 0.01m ? "$0.######" : "$#,0.00", CultureInfo.InvariantCulture);

    public static string Tokens(int input, int output, bool estimated) =>
        $"{input:N0} in · {output:N0} out{(estimated ? " (estimated)" : "")}";

    public static string Count(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    public static string Percent(double share) => share.ToString("0.#%", CultureInfo.InvariantCulture);

    /// <summary>One way on every page: an answer's latency reads like the admin pages' percentiles.</summary>
    public static string Latency(int milliseconds) => Latency((double?)milliseconds);

    /// <summary>A percentile: milliseconds under a second, else seconds to three figures; a dash when there was nothing to measure.</summary>
    public static string Latency(double? milliseconds) => milliseconds switch
    {
        null => "–",
        < 999.5 => $"{milliseconds.Value.ToString("0", CultureInfo.InvariantCulture)} ms",
        < 9_995 => $"{(milliseconds.Value / 1000).ToString("0.00", CultureInfo.InvariantCulture)} s",
        < 99_950 => $"{(milliseconds.Value / 1000).ToString("0.0", CultureInfo.InvariantCulture)} s",
        _ => $"{(milliseconds.Value / 1000).ToString("N0", CultureInfo.InvariantCulture)} s",
    };

    public static string Day(DateTimeOffset time) => Utc(time, "yyyy-MM-dd");

    public static string Minute(DateTimeOffset time) => Utc(time, "yyyy-MM-dd HH:mm");

    public static string Second(DateTimeOffset time) => Utc(time, "yyyy-MM-dd HH:mm:ss");

    private static string Utc(DateTimeOffset time, string format) => time.ToUniversalTime().ToString(format, CultureInfo.InvariantCulture);
}
