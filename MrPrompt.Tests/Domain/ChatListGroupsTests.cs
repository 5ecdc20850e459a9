using MrPrompt.Domain.Chat;

namespace MrPrompt.Tests.Domain;

public sealed class ChatListGroupsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 1, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, "Today")]
    [InlineData(1, "Yesterday")]
    [InlineData(7, "Previous 7 days")]
    [InlineData(8, "Previous 30 days")]
    [InlineData(30, "Previous 30 days")]
    [InlineData(60, "October")]
    [InlineData(320, "January")]
    [InlineData(400, "2025")]
    public void Chats_are_grouped_by_how_many_days_ago_they_were_last_used(int daysAgo, string group) =>
        Assert.Equal(group, ChatListGroups.Of(false, Now.AddDays(-daysAgo), Now, TimeZoneInfo.Utc));

    [Fact]
    public void Days_are_counted_in_the_users_time_zone_and_pinned_chats_stay_pinned()
    {
        // 01:30 UTC on 5 December is still 4 December in New York: a chat from 23:00 UTC on the 4th was "today" there.
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var lateOnTheFourth = new DateTimeOffset(2026, 12, 4, 23, 0, 0, TimeSpan.Zero);

        Assert.Equal("Yesterday", ChatListGroups.Of(false, lateOnTheFourth.AddHours(-20), Now, TimeZoneInfo.Utc));
        Assert.Equal("Today", ChatListGroups.Of(false, lateOnTheFourth, Now, newYork));
        Assert.Equal("Pinned", ChatListGroups.Of(true, Now.AddYears(-3), Now, newYork));
    }
}
