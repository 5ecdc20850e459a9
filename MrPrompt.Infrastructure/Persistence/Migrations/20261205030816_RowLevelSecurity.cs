using System.Linq;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MrPrompt.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RowLevelSecurity : Migration
    {
        /// <inheritdoc />
        /// <summary>Tables with the owning account's id in a column of their own.</summary>
        private static readonly (string Table, string Owner)[] OwnedTables =
        [
            ("profiles", "id"),
            ("api_credentials", "user_id"),
            ("prompt_usage_logs", "user_id"),
            ("chat_sessions", "user_id"),
            ("compare_runs", "user_id"),
            ("personal_api_keys", "user_id"),
            ("ai_response_cache", "user_id"),
            ("idempotency_keys", "user_id"),
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Row-level security on every table that holds one account's data. The app sets app.user_id (and,
            // for background and admin work, app.system) on each connection it opens (RowSecurityInterceptor);
            // without either a connection sees none of these rows. FORCE makes the policies bind the tables'
            // owner too (only a superuser or a BYPASSRLS role passes them, and the app connects as neither).
            migrationBuilder.Sql("""
                CREATE FUNCTION mrprompt_user_id() RETURNS uuid LANGUAGE sql STABLE
                    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
                CREATE FUNCTION mrprompt_is_system() RETURNS boolean LANGUAGE sql STABLE
                    AS $$ SELECT coalesce(current_setting('app.system', true), '') = 'on' $$;
                """);
            foreach (var (table, owner) in OwnedTables)
            {
                migrationBuilder.Sql($"""
                    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                    CREATE POLICY owner_only ON {table}
                        USING ({owner} = mrprompt_user_id() OR mrprompt_is_system())
                        WITH CHECK ({owner} = mrprompt_user_id() OR mrprompt_is_system());
                    """);
            }
            // A message belongs to whoever its chat belongs to (the subquery sees only chats the policy above lets through).
            migrationBuilder.Sql("""
                ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
                ALTER TABLE messages FORCE ROW LEVEL SECURITY;
                CREATE POLICY owner_only ON messages
                    USING (EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = messages.session_id))
                    WITH CHECK (EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = messages.session_id));
                """);
            // Prompts: everyone reads public ones; only the owner writes.
            migrationBuilder.Sql("""
                ALTER TABLE prompts ENABLE ROW LEVEL SECURITY;
                ALTER TABLE prompts FORCE ROW LEVEL SECURITY;
                CREATE POLICY owner_only ON prompts
                    USING (owner_id = mrprompt_user_id() OR mrprompt_is_system())
                    WITH CHECK (owner_id = mrprompt_user_id() OR mrprompt_is_system());
                CREATE POLICY public_read ON prompts FOR SELECT USING (visibility = 'Public');
                """);
            foreach (var table in new[] { "prompt_versions", "prompt_labels" })
            {
                migrationBuilder.Sql($"""
                    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                    CREATE POLICY owner_only ON {table}
                        USING (EXISTS (SELECT 1 FROM prompts p WHERE p.id = {table}.prompt_id AND (p.owner_id = mrprompt_user_id() OR mrprompt_is_system())))
                        WITH CHECK (EXISTS (SELECT 1 FROM prompts p WHERE p.id = {table}.prompt_id AND (p.owner_id = mrprompt_user_id() OR mrprompt_is_system())));
                    CREATE POLICY public_read ON {table} FOR SELECT
                        USING (EXISTS (SELECT 1 FROM prompts p WHERE p.id = {table}.prompt_id));
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in OwnedTables.Select(t => t.Table).Concat(["messages", "prompts", "prompt_versions", "prompt_labels"]))
            {
                migrationBuilder.Sql($"""
                    DROP POLICY IF EXISTS owner_only ON {table};
                    DROP POLICY IF EXISTS public_read ON {table};
                    ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
                    ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
                    """);
            }
            migrationBuilder.Sql("DROP FUNCTION mrprompt_user_id(); DROP FUNCTION mrprompt_is_system();");
        }
    }
}
