using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Prompts;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class PromptLabelConfiguration : IEntityTypeConfiguration<PromptLabel>
{
    public void Configure(EntityTypeBuilder<PromptLabel> builder)
    {
        builder.ToTable("prompt_labels");
        builder.HasKey(l => new { l.PromptId, l.Name });
        builder.Property(l => l.Name).HasMaxLength(PromptRules.LabelMaxLength);
        builder.HasOne<Prompt>().WithMany().HasForeignKey(l => l.PromptId).OnDelete(DeleteBehavior.Cascade);
        // Versions are only ever deleted with their prompt, and its labels go with them.
        builder.HasOne<PromptVersion>().WithMany().HasForeignKey(l => l.VersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(l => l.VersionId);
    }
}
