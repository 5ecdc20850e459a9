using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class CompareRunConfiguration : IEntityTypeConfiguration<CompareRun>
{
    public void Configure(EntityTypeBuilder<CompareRun> builder)
    {
        builder.ToTable("compare_runs");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.Prompt).IsRequired();
        builder.Property(r => r.Models).HasColumnType("text[]");
        builder.HasIndex(r => new { r.UserId, r.CreatedAt });
        builder.HasIndex(r => r.ExpiresAt).HasFilter("expires_at IS NOT NULL");
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
