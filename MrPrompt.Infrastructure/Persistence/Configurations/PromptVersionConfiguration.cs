using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Prompts;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class PromptVersionConfiguration : IEntityTypeConfiguration<PromptVersion>
{
    public void Configure(EntityTypeBuilder<PromptVersion> builder)
    {
        builder.ToTable("prompt_versions");
        builder.HasKey(v => v.Id);
        builder.Property(v => v.Id).ValueGeneratedNever();
        builder.Property(v => v.SystemPrompt).HasMaxLength(PromptContent.TemplateMaxLength).IsRequired();
        builder.Property(v => v.UserTemplate).HasMaxLength(PromptContent.TemplateMaxLength).IsRequired();
        builder.Property(v => v.Model).HasMaxLength(300);
        builder.Property(v => v.ResponseFormat).HasConversion<string>().HasMaxLength(16);
        builder.Property(v => v.JsonSchema).HasMaxLength(PromptContent.JsonSchemaMaxLength);
        builder.Property(v => v.DataLoaders).HasColumnType("text[]");
        builder.Property(v => v.ChangeNote).HasMaxLength(PromptRules.ChangeNoteMaxLength).IsRequired();

        builder.HasIndex(v => new { v.PromptId, v.Number }).IsUnique();
        builder.HasOne<Prompt>().WithMany().HasForeignKey(v => v.PromptId).OnDelete(DeleteBehavior.Cascade);

        // Only a prompt's owner writes its versions, so the author's account and the prompt go together.
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(v => v.AuthorId).OnDelete(DeleteBehavior.Cascade);
    }
}
