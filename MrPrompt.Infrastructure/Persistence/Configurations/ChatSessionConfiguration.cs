using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Chat;
using MrPrompt.Infrastructure.Security;
using NpgsqlTypes;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class ChatSessionConfiguration : IEntityTypeConfiguration<ChatSession>
{
    public void Configure(EntityTypeBuilder<ChatSession> builder)
    {
        builder.ToTable("chat_sessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.Property(s => s.Title).HasMaxLength(ChatRules.TitleMaxLength).IsRequired();
        builder.Property(s => s.Model).HasMaxLength(300).IsRequired();
        builder.Property(s => s.SystemPrompt).HasMaxLength(ChatRules.SystemPromptMaxLength);

        // Full-text search over titles; 'simple' keeps every language searchable (no English stemming).
        builder.Property<NpgsqlTsVector>(FullTextSearch.Column)
            .HasComputedColumnSql("to_tsvector('simple', title)", stored: true);
        builder.HasIndex(FullTextSearch.Column).HasMethod("GIN");

        // The sidebar: one user's chats, newest activity first.
        builder.HasIndex(s => new { s.UserId, s.LastActivityAt });
        builder.HasIndex(s => s.CompareRunId);
        builder.HasOne<ApplicationUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<CompareRun>().WithMany().HasForeignKey(s => s.CompareRunId).OnDelete(DeleteBehavior.Cascade);
    }
}
