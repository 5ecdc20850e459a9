using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Prompts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "time_zone",
                table: "profiles",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "UTC");

            migrationBuilder.AddColumn<Guid>(
                name: "prompt_version_id",
                table: "messages",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "prompts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    owner_id = table.Column<Guid>(type: "uuid", nullable: false),
                    key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    title = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    description = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    tags = table.Column<List<string>>(type: "text[]", nullable: false),
                    visibility = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    latest_version = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_prompts", x => x.id);
                    table.ForeignKey(
                        name: "fk_prompts_asp_net_users_owner_id",
                        column: x => x.owner_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "prompt_versions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    prompt_id = table.Column<Guid>(type: "uuid", nullable: false),
                    number = table.Column<int>(type: "integer", nullable: false),
                    system_prompt = table.Column<string>(type: "character varying(100000)", maxLength: 100000, nullable: false),
                    user_template = table.Column<string>(type: "character varying(100000)", maxLength: 100000, nullable: false),
                    model = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    temperature = table.Column<float>(type: "real", nullable: true),
                    max_output_tokens = table.Column<int>(type: "integer", nullable: true),
                    response_format = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    json_schema = table.Column<string>(type: "character varying(50000)", maxLength: 50000, nullable: true),
                    data_loaders = table.Column<List<string>>(type: "text[]", nullable: false),
                    change_note = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    author_id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_prompt_versions", x => x.id);
                    table.ForeignKey(
                        name: "fk_prompt_versions_asp_net_users_author_id",
                        column: x => x.author_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_prompt_versions_prompts_prompt_id",
                        column: x => x.prompt_id,
                        principalTable: "prompts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "prompt_labels",
                columns: table => new
                {
                    prompt_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    moved_by = table.Column<Guid>(type: "uuid", nullable: false),
                    moved_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_prompt_labels", x => new { x.prompt_id, x.name });
                    table.ForeignKey(
                        name: "fk_prompt_labels_prompt_versions_version_id",
                        column: x => x.version_id,
                        principalTable: "prompt_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_prompt_labels_prompts_prompt_id",
                        column: x => x.prompt_id,
                        principalTable: "prompts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_prompt_usage_logs_prompt_version_id",
                table: "prompt_usage_logs",
                column: "prompt_version_id",
                filter: "prompt_version_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_messages_prompt_version_id",
                table: "messages",
                column: "prompt_version_id");

            migrationBuilder.CreateIndex(
                name: "ix_prompt_labels_version_id",
                table: "prompt_labels",
                column: "version_id");

            migrationBuilder.CreateIndex(
                name: "ix_prompt_versions_author_id",
                table: "prompt_versions",
                column: "author_id");

            migrationBuilder.CreateIndex(
                name: "ix_prompt_versions_prompt_id_number",
                table: "prompt_versions",
                columns: new[] { "prompt_id", "number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_prompts_owner_id_key",
                table: "prompts",
                columns: new[] { "owner_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_prompts_tags",
                table: "prompts",
                column: "tags")
                .Annotation("Npgsql:IndexMethod", "GIN");

            migrationBuilder.CreateIndex(
                name: "ix_prompts_visibility",
                table: "prompts",
                column: "visibility");

            migrationBuilder.AddForeignKey(
                name: "fk_messages_prompt_versions_prompt_version_id",
                table: "messages",
                column: "prompt_version_id",
                principalTable: "prompt_versions",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_messages_prompt_versions_prompt_version_id",
                table: "messages");

            migrationBuilder.DropTable(
                name: "prompt_labels");

            migrationBuilder.DropTable(
                name: "prompt_versions");

            migrationBuilder.DropTable(
                name: "prompts");

            migrationBuilder.DropIndex(
                name: "ix_prompt_usage_logs_prompt_version_id",
                table: "prompt_usage_logs");

            migrationBuilder.DropIndex(
                name: "ix_messages_prompt_version_id",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "time_zone",
                table: "profiles");

            migrationBuilder.DropColumn(
                name: "prompt_version_id",
                table: "messages");
        }
    }
}
