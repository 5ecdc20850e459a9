using System;
using Microsoft.EntityFrameworkCore.Migrations;
using NpgsqlTypes;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class KnowledgeCollections : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "citations",
                table: "messages",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "retrieval_ms",
                table: "messages",
                type: "integer",
                nullable: true);

            migrationBuilder.AlterColumn<Guid>(
                name: "session_id",
                table: "generation_jobs",
                type: "uuid",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid");

            migrationBuilder.AlterColumn<Guid>(
                name: "message_id",
                table: "generation_jobs",
                type: "uuid",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid");

            migrationBuilder.AddColumn<Guid>(
                name: "document_id",
                table: "generation_jobs",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid[]>(
                name: "knowledge_collection_ids",
                table: "chat_sessions",
                type: "uuid[]",
                nullable: false,
                defaultValue: new Guid[0]);

            migrationBuilder.CreateTable(
                name: "knowledge_collections",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    owner_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    visibility = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    embedding_model = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    content_version = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_knowledge_collections", x => x.id);
                    table.ForeignKey(
                        name: "fk_knowledge_collections_asp_net_users_owner_id",
                        column: x => x.owner_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "knowledge_documents",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    collection_id = table.Column<Guid>(type: "uuid", nullable: false),
                    owner_id = table.Column<Guid>(type: "uuid", nullable: false),
                    title = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    file_name = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    format = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    content_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    source = table.Column<byte[]>(type: "bytea", nullable: false),
                    size_bytes = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    chunks_done = table.Column<int>(type: "integer", nullable: false),
                    chunks_total = table.Column<int>(type: "integer", nullable: false),
                    error = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    job_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_knowledge_documents", x => x.id);
                    table.ForeignKey(
                        name: "fk_knowledge_documents_knowledge_collections_collection_id",
                        column: x => x.collection_id,
                        principalTable: "knowledge_collections",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "vector_documents",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    collection_id = table.Column<Guid>(type: "uuid", nullable: false),
                    document_id = table.Column<Guid>(type: "uuid", nullable: false),
                    chunk_index = table.Column<int>(type: "integer", nullable: false),
                    heading = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    content = table.Column<string>(type: "text", nullable: false),
                    start_offset = table.Column<int>(type: "integer", nullable: false),
                    embedding = table.Column<float[]>(type: "real[]", nullable: false),
                    model = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    search = table.Column<NpgsqlTsVector>(type: "tsvector", nullable: true, computedColumnSql: "to_tsvector('english', coalesce(heading, '') || ' ' || content)", stored: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_vector_documents", x => x.id);
                    table.ForeignKey(
                        name: "fk_vector_documents_knowledge_collections_collection_id",
                        column: x => x.collection_id,
                        principalTable: "knowledge_collections",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_vector_documents_knowledge_documents_document_id",
                        column: x => x.document_id,
                        principalTable: "knowledge_documents",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_generation_jobs_document_id",
                table: "generation_jobs",
                column: "document_id");

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_collections_owner_id",
                table: "knowledge_collections",
                column: "owner_id");

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_collections_visibility",
                table: "knowledge_collections",
                column: "visibility",
                filter: "visibility = 'Shared'");

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_documents_collection_id_content_hash",
                table: "knowledge_documents",
                columns: new[] { "collection_id", "content_hash" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_vector_documents_collection_id_document_id_chunk_index",
                table: "vector_documents",
                columns: new[] { "collection_id", "document_id", "chunk_index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_vector_documents_document_id",
                table: "vector_documents",
                column: "document_id");

            migrationBuilder.CreateIndex(
                name: "ix_vector_documents_search",
                table: "vector_documents",
                column: "search")
                .Annotation("Npgsql:IndexMethod", "GIN");

            migrationBuilder.AddForeignKey(
                name: "fk_generation_jobs_knowledge_documents_document_id",
                table: "generation_jobs",
                column: "document_id",
                principalTable: "knowledge_documents",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            // A collection is its owner's; a shared one is readable by everyone signed in. Its documents and chunks follow
            // their collection. Ingestion and search run in the system scope after the service has checked access.
            migrationBuilder.Sql("""
                ALTER TABLE knowledge_collections ENABLE ROW LEVEL SECURITY;
                ALTER TABLE knowledge_collections FORCE ROW LEVEL SECURITY;
                CREATE POLICY owner_only ON knowledge_collections
                    USING (owner_id = mrprompt_user_id() OR mrprompt_is_system())
                    WITH CHECK (owner_id = mrprompt_user_id() OR mrprompt_is_system());
                CREATE POLICY shared_read ON knowledge_collections FOR SELECT USING (visibility = 'Shared');

                ALTER TABLE knowledge_documents ENABLE ROW LEVEL SECURITY;
                ALTER TABLE knowledge_documents FORCE ROW LEVEL SECURITY;
                CREATE POLICY owner_only ON knowledge_documents
                    USING (owner_id = mrprompt_user_id() OR mrprompt_is_system())
                    WITH CHECK (owner_id = mrprompt_user_id() OR mrprompt_is_system());
                CREATE POLICY shared_read ON knowledge_documents FOR SELECT
                    USING (EXISTS (SELECT 1 FROM knowledge_collections c WHERE c.id = knowledge_documents.collection_id AND c.visibility = 'Shared'));

                ALTER TABLE vector_documents ENABLE ROW LEVEL SECURITY;
                ALTER TABLE vector_documents FORCE ROW LEVEL SECURITY;
                CREATE POLICY owner_only ON vector_documents
                    USING (EXISTS (SELECT 1 FROM knowledge_collections c WHERE c.id = vector_documents.collection_id AND (c.owner_id = mrprompt_user_id() OR mrprompt_is_system())))
                    WITH CHECK (EXISTS (SELECT 1 FROM knowledge_collections c WHERE c.id = vector_documents.collection_id AND (c.owner_id = mrprompt_user_id() OR mrprompt_is_system())));
                CREATE POLICY shared_read ON vector_documents FOR SELECT
                    USING (EXISTS (SELECT 1 FROM knowledge_collections c WHERE c.id = vector_documents.collection_id AND c.visibility = 'Shared'));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_generation_jobs_knowledge_documents_document_id",
                table: "generation_jobs");

            migrationBuilder.DropTable(
                name: "vector_documents");

            migrationBuilder.DropTable(
                name: "knowledge_documents");

            migrationBuilder.DropTable(
                name: "knowledge_collections");

            migrationBuilder.DropIndex(
                name: "ix_generation_jobs_document_id",
                table: "generation_jobs");

            migrationBuilder.DropColumn(
                name: "citations",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "retrieval_ms",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "document_id",
                table: "generation_jobs");

            migrationBuilder.DropColumn(
                name: "knowledge_collection_ids",
                table: "chat_sessions");

            migrationBuilder.AlterColumn<Guid>(
                name: "session_id",
                table: "generation_jobs",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"),
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);

            migrationBuilder.AlterColumn<Guid>(
                name: "message_id",
                table: "generation_jobs",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"),
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);
        }
    }
}
