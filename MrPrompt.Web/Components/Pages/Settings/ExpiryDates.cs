namespace MrPrompt.Web.Components.Pages.Settings;

/// <summary>
/// A key "expires on" a day: it is valid through that whole day (UTC) and expired from the next
/// midnight. The one place that converts between the picked day and the stored instant.
/// </summary>
public static class ExpiryDates
{
    public static DateTimeOffset? ToInstant(DateTime? day) =>
        day is { } d ? new DateTimeOffset(d.Date.AddDays(1), TimeSpan.Zero) : null;

    public static DateTime? ToDay(DateTimeOffset? instant) =>
        instant is { } i ? i.UtcDateTime.Date.AddDays(-1) : null;
}
