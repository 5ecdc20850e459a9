using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Chat;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class ChatShareConfiguration : IEntityTypeConfiguration<ChatShare>
{
    public void Configure(EntityTypeBuilder<ChatShare> builder)
    {
        builder.ToTable("chat_shares");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.Property(s => s.TokenHash).HasMaxLength(64).IsRequired();
        builder.HasIndex(s => s.TokenHash).IsUnique();
        builder.Property(s => s.Snapshot).HasColumnType("jsonb").IsRequired();
        builder.HasIndex(s => s.SessionId);
        // A share goes with its chat, and the chat with its account.
        builder.HasOne<ChatSession>().WithMany().HasForeignKey(s => s.SessionId).OnDelete(DeleteBehavior.Cascade);
    }
}
