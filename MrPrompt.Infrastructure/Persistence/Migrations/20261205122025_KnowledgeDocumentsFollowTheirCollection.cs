using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class KnowledgeDocumentsFollowTheirCollection : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A document's own owner_id was the whole check, so an account could add a document of its own to another's
            // collection. Now the collection must be the same account's too.
            migrationBuilder.Sql("""
                DROP POLICY owner_only ON knowledge_documents;
                CREATE POLICY owner_only ON knowledge_documents
                    USING (owner_id = mrprompt_user_id() OR mrprompt_is_system())
                    WITH CHECK (mrprompt_is_system() OR (owner_id = mrprompt_user_id() AND EXISTS (
                        SELECT 1 FROM knowledge_collections c WHERE c.id = knowledge_documents.collection_id AND c.owner_id = mrprompt_user_id())));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP POLICY owner_only ON knowledge_documents;
                CREATE POLICY owner_only ON knowledge_documents
                    USING (owner_id = mrprompt_user_id() OR mrprompt_is_system())
                    WITH CHECK (owner_id = mrprompt_user_id() OR mrprompt_is_system());
                """);
        }
    }
}
