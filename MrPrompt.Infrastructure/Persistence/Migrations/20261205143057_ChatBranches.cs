using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ChatBranches : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "parent_id",
                table: "messages",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "current_message_id",
                table: "chat_sessions",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_messages_parent_id",
                table: "messages",
                column: "parent_id");

            migrationBuilder.AddForeignKey(
                name: "fk_messages_messages_parent_id",
                table: "messages",
                column: "parent_id",
                principalTable: "messages",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            // Chats written before branches were one line: each message follows the one before it, and each chat
            // shows its newest message's branch. Row-level security binds this migration too, hence the system scope.
            migrationBuilder.Sql("""
                SET LOCAL app.system = 'on';
                UPDATE messages m SET parent_id = o.previous
                    FROM (SELECT id, lag(id) OVER (PARTITION BY session_id ORDER BY sequence) AS previous FROM messages) o
                    WHERE m.id = o.id AND o.previous IS NOT NULL;
                UPDATE chat_sessions s SET current_message_id =
                    (SELECT m.id FROM messages m WHERE m.session_id = s.id ORDER BY m.sequence DESC LIMIT 1);
                SET LOCAL app.system = '';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_messages_messages_parent_id",
                table: "messages");

            migrationBuilder.DropIndex(
                name: "ix_messages_parent_id",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "parent_id",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "current_message_id",
                table: "chat_sessions");
        }
    }
}
