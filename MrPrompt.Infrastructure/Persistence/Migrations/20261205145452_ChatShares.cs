using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ChatShares : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "chat_shares",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    token_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    snapshot = table.Column<string>(type: "jsonb", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_chat_shares", x => x.id);
                    table.ForeignKey(
                        name: "fk_chat_shares_chat_sessions_session_id",
                        column: x => x.session_id,
                        principalTable: "chat_sessions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_chat_shares_session_id",
                table: "chat_shares",
                column: "session_id");

            migrationBuilder.CreateIndex(
                name: "ix_chat_shares_token_hash",
                table: "chat_shares",
                column: "token_hash",
                unique: true);

            // Only the owner sees their links, made only on chats they can see; a link opened by its token is read in the system scope, one row by its hash.
            migrationBuilder.Sql("""
                ALTER TABLE chat_shares ENABLE ROW LEVEL SECURITY;
                ALTER TABLE chat_shares FORCE ROW LEVEL SECURITY;
                CREATE POLICY owner_only ON chat_shares
                    USING (user_id = mrprompt_user_id() OR mrprompt_is_system())
                    WITH CHECK ((user_id = mrprompt_user_id() OR mrprompt_is_system())
                        AND EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = chat_shares.session_id));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "chat_shares");
        }
    }
}
