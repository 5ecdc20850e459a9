using Microsoft.EntityFrameworkCore;
using MrPrompt.Domain.Profiles;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.Profiles;
using MrPrompt.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace MrPrompt.Tests.Persistence;

public sealed class AuditTimestampsTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Created_is_stamped_once_and_updated_on_every_change()
    {
        var created = database.Clock.GetUtcNow();
        Guid userId;
        await using (var scope = database.CreateScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<AccountRegistrar>()
                .RegisterAsync("stamps@example.com", "Passw0rd!", TestContext.Current.CancellationToken);
            userId = result.UserId!.Value;
        }

        database.Clock.Advance(TimeSpan.FromHours(3));
        var errors = await database.Services.GetRequiredService<ProfileService>()
            .UpdateAsync(userId, "Renamed", null, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(errors.IsEmpty);

        await using var db = await database.CreateContextAsync();
        var profile = await db.Profiles.AsNoTracking().SingleAsync(p => p.Id == userId, TestContext.Current.CancellationToken);
        Assert.Equal(created, profile.CreatedAt);
        Assert.Equal(created.AddHours(3), profile.UpdatedAt);
    }

    [Fact]
    public async Task Callers_cannot_backdate_creation()
    {
        await using (var scope = database.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<AccountRegistrar>()
                .RegisterAsync("backdate@example.com", "Passw0rd!", TestContext.Current.CancellationToken);
        }
        await using var db = await database.CreateContextAsync();
        var userId = await db.Users.Where(u => u.Email == "backdate@example.com").Select(u => u.Id).SingleAsync(TestContext.Current.CancellationToken);
        var profile = await db.Profiles.SingleAsync(p => p.Id == userId, TestContext.Current.CancellationToken);
        var original = profile.CreatedAt;
        profile.CreatedAt = original.AddYears(-5);
        profile.Theme = ThemePreference.Dark;
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);

        await using var reread = await database.CreateContextAsync();
        Assert.Equal(original, (await reread.Profiles.AsNoTracking().SingleAsync(p => p.Id == profile.Id, TestContext.Current.CancellationToken)).CreatedAt);
    }
}
