using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class PromptConfiguration : IEntityTypeConfiguration<Prompt>
{
    public void Configure(EntityTypeBuilder<Prompt> builder)
    {
        builder.ToTable("prompts");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).ValueGeneratedNever();
        builder.Property(p => p.Key).HasMaxLength(PromptRules.KeyMaxLength).IsRequired();
        builder.Property(p => p.Title).HasMaxLength(PromptRules.TitleMaxLength).IsRequired();
        builder.Property(p => p.Description).HasMaxLength(PromptRules.DescriptionMaxLength).IsRequired();
        builder.Property(p => p.Tags).HasColumnType("text[]");
        builder.Property(p => p.Visibility).HasConversion<string>().HasMaxLength(16);

        builder.HasIndex(p => new { p.OwnerId, p.Key }).IsUnique();
        builder.HasIndex(p => p.Visibility);
        builder.HasIndex(p => p.Tags).HasMethod("GIN");
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(p => p.OwnerId).OnDelete(DeleteBehavior.Cascade);
    }
}
