using MrPrompt.Web.Components.Pages.Settings;

namespace MrPrompt.Tests.Components;

public sealed class ExpiryDatesTests
{
    [Fact]
    public void A_picked_day_survives_saving_and_editing_again()
    {
        var day = new DateTime(2026, 6, 10);
        var stored = ExpiryDates.ToInstant(day);

        Assert.Equal(new DateTimeOffset(2026, 6, 11, 0, 0, 0, TimeSpan.Zero), stored); // valid through the 10th
        Assert.Equal(day, ExpiryDates.ToDay(stored));
        Assert.Equal(day, ExpiryDates.ToDay(ExpiryDates.ToInstant(ExpiryDates.ToDay(stored)))); // no drift on re-save
    }

    [Fact]
    public void No_day_means_no_expiry() => Assert.Null(ExpiryDates.ToInstant(null));
}
