using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MrPrompt.Domain.Chat;
using MrPrompt.Domain.Prompts;
using NpgsqlTypes;

namespace MrPrompt.Infrastructure.Persistence.Configurations;

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> builder)
    {
        builder.ToTable("messages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).ValueGeneratedNever();
        // Senders and states are spelled in lower case (docs/contracts.md, "messages").
        builder.Property(m => m.Sender).HasConversion(LowerCaseEnum<MessageSender>()).HasMaxLength(16);
        builder.Property(m => m.Status).HasConversion(LowerCaseEnum<MessageStatus>()).HasMaxLength(16);
        builder.Property(m => m.Content).IsRequired();
        builder.Property(m => m.Provider).HasMaxLength(64);
        builder.Property(m => m.Model).HasMaxLength(200);
        builder.Property(m => m.ProviderMessageId).HasMaxLength(200);
        builder.Property(m => m.CostUsd).HasPrecision(20, 10);
        builder.Property(m => m.ErrorCode).HasMaxLength(64);
        builder.Property(m => m.ErrorMessage).HasMaxLength(1000);
        builder.Property(m => m.Citations).HasColumnType("jsonb");
        builder.Ignore(m => m.IsFinished);

        builder.Property<NpgsqlTsVector>(FullTextSearch.Column)
            .HasComputedColumnSql("to_tsvector('simple', content)", stored: true);
        builder.HasIndex(FullTextSearch.Column).HasMethod("GIN");

        builder.HasIndex(m => new { m.SessionId, m.Sequence }).IsUnique();
        // Restart recovery looks for answers left streaming; few rows ever match.
        builder.HasIndex(m => m.Status).HasFilter("status = 'streaming'");
        builder.HasOne<ChatSession>().WithMany().HasForeignKey(m => m.SessionId).OnDelete(DeleteBehavior.Cascade);
        // Alternatives go with the message they follow; today only a chat's deletion removes messages.
        builder.HasOne<Message>().WithMany().HasForeignKey(m => m.ParentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<PromptVersion>().WithMany().HasForeignKey(m => m.PromptVersionId).OnDelete(DeleteBehavior.SetNull);
    }

    private static Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<T, string> LowerCaseEnum<T>() where T : struct, Enum =>
        new(v => v.ToString().ToLowerInvariant(), v => Enum.Parse<T>(v, true));
}
