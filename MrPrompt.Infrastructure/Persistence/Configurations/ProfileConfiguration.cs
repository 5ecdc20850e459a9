using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Profiles;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class ProfileConfiguration : IEntityTypeConfiguration<Profile>
{
    public void Configure(EntityTypeBuilder<Profile> builder)
    {
        builder.ToTable("profiles");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).ValueGeneratedNever();
        builder.Property(p => p.DisplayName).HasMaxLength(ProfileRules.DisplayNameMaxLength).IsRequired();
        builder.Property(p => p.AvatarUrl).HasMaxLength(ProfileRules.AvatarUrlMaxLength);
        builder.Property(p => p.Theme).HasConversion<string>().HasMaxLength(16);
        builder.Property(p => p.TimeZone).HasMaxLength(ProfileRules.TimeZoneMaxLength).HasDefaultValue(ProfileRules.DefaultTimeZone);

        // The profile shares its key with the account and goes with it.
        builder.HasOne<ApplicationUser>()
            .WithOne()
            .HasForeignKey<Profile>(p => p.Id)
            .OnDelete(DeleteBehavior.Cascade);
    }
}
