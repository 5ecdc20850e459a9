using System.Globalization;

namespace MrPrompt.Domain.Chat;

/// <summary>
/// The headings of the chat list: pinned chats first, then by the day of their last message in the
/// user's time zone (Today, Yesterday, Previous 7 days, Previous 30 days), then by month this year, then by year.
/// </summary>
public static class ChatListGroups
{
    public const string Pinned = "Pinned";
    public const string Today = "Today";
    public const string Yesterday = "Yesterday";
    public const string Previous7Days = "Previous 7 days";
    public const string Previous30Days = "Previous 30 days";

    public static string Of(bool pinned, DateTimeOffset lastActivity, DateTimeOffset now, TimeZoneInfo zone)
    {
        if (pinned)
        {
            return Pinned;
        }
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(lastActivity, zone).DateTime);
        var daysAgo = today.DayNumber - day.DayNumber;
        return daysAgo switch
        {
            <= 0 => Today,
            1 => Yesterday,
            <= 7 => Previous7Days,
            <= 30 => Previous30Days,
            _ when day.Year == today.Year => day.ToString("MMMM", CultureInfo.InvariantCulture),
            _ => day.Year.ToString(CultureInfo.InvariantCulture),
        };
    }
}
