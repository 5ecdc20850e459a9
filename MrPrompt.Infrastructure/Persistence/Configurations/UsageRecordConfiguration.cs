using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Usage;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class UsageRecordConfiguration : IEntityTypeConfiguration<UsageRecord>
{
    public void Configure(EntityTypeBuilder<UsageRecord> builder)
    {
        builder.ToTable("prompt_usage_logs");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).ValueGeneratedNever();
        builder.Property(u => u.Provider).HasMaxLength(64).IsRequired();
        builder.Property(u => u.Model).HasMaxLength(200).IsRequired();
        builder.Property(u => u.Source).HasConversion<string>().HasMaxLength(16);
        builder.Property(u => u.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(u => u.CostUsd).HasPrecision(20, 10);
        builder.Property(u => u.ErrorCode).HasMaxLength(64);
        builder.Property(u => u.TraceId).HasMaxLength(64);
        // Every admin question is bounded by time; each filter of the usage page has an index that
        // starts with it and ends with the time, so a narrow filter reads only its own rows.
        builder.HasIndex(u => u.ExecutedAt);
        builder.HasIndex(u => new { u.UserId, u.ExecutedAt });
        builder.HasIndex(u => new { u.Provider, u.Model, u.ExecutedAt });
        builder.HasIndex(u => new { u.Status, u.ExecutedAt });
        builder.HasIndex(u => new { u.Source, u.ExecutedAt });
        // Per-version figures on the prompt pages; most calls come from no prompt, so only those that do are indexed.
        builder.HasIndex(u => new { u.PromptVersionId, u.ExecutedAt }).HasFilter("prompt_version_id IS NOT NULL");
        builder.HasIndex(u => u.JobId).HasFilter("job_id IS NOT NULL");
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(u => u.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
