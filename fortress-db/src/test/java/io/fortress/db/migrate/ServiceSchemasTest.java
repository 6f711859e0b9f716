package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The three service schemas of migrations/ on a real server, each migrated by its own role following
 * the recipe of docs/migrations.md, and used by its own least-privilege run-time role.
 */
class ServiceSchemasTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);

    static final Path MIGRATIONS = Path.of("..", "migrations");
    static final Path DOCS = Path.of("..", "docs", "migrations.md");
    static final List<String> SERVICES = List.of("credits", "shadow", "cdefnet");
    static final String PASSWORD = "service-role-password";
    static final String ROUND_TRIP_DB = "roundtrip";

    private static LocalCluster cluster() {
        return CLUSTER.cluster();
    }

    @BeforeAll
    static void provisionAndMigrateAsTheDocsSay() throws Exception {
        TestDb.execute(cluster(), sqlBlock("roles"));
        for (String role : List.of("credits_migrator", "credits_app", "shadow_migrator", "shadow_app", "cdefnet_migrator", "cdefnet_app",
                "cdefnet_maintenance")) {
            TestDb.execute(cluster(), "ALTER ROLE " + role + " PASSWORD '" + PASSWORD + "'");
        }
        for (String service : SERVICES) {
            MigrationResult r = migrator(service).up();
            assertThat(r.toVersion()).isEqualTo(service.equals("credits") ? 2 : 1);
        }
        TestDb.execute(cluster(), sqlBlock("grants"));
        TestDb.execute(cluster(), "CREATE DATABASE " + ROUND_TRIP_DB);
    }

    /** The SQL of the docs block between {@code <!-- name:begin -->} and {@code <!-- name:end -->}. */
    private static String sqlBlock(String name) throws IOException {
        String docs = Files.readString(DOCS);
        Matcher m = Pattern.compile("<!-- " + name + ":begin -->\\s*```sql\\n(.*?)```\\s*<!-- " + name + ":end -->", Pattern.DOTALL)
                .matcher(docs);
        assertThat(m.find()).as("docs/migrations.md has the " + name + " block").isTrue();
        return m.group(1);
    }

    private static MigrationManager migrator(String service) {
        return MigrationManager.create(TestDb.dataSource(cluster(), service + "_migrator", PASSWORD),
                MigrationSource.directory(MIGRATIONS.resolve(service)), MigrationConfig.forSchema(service));
    }

    private static Connection connectAs(String role) throws SQLException {
        return TestDb.dataSource(cluster(), role, PASSWORD).getConnection();
    }

    @Test
    void eachServiceMigratedIntoItsOwnSchemaAsItsOwnRole() throws Exception {
        for (String service : SERVICES) {
            assertThat(TestDb.rows(cluster(), "SELECT version, dirty FROM " + service + ".schema_migrations"))
                    .containsExactly((service.equals("credits") ? "2" : "1") + "|f");
            assertThat(TestDb.rows(cluster(), "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = '"
                    + service + "'::regnamespace")).containsExactly(service + "_migrator");
            assertThat(migrator(service).validate().valid()).isTrue();
            assertThat(migrator(service).history()).allSatisfy(e -> assertThat(e.installedBy()).isEqualTo(service + "_migrator"));
        }
        // a service's roles cannot touch another service's schema, nor their own schema's structure
        try (Connection c = connectAs("credits_migrator"); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.execute("CREATE TABLE shadow.intruder()")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("permission denied for schema shadow");
        }
        try (Connection c = connectAs("credits_app"); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeQuery("SELECT * FROM shadow.evaluations")).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> st.execute("CREATE TABLE credits.intruder()")).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> st.execute("DELETE FROM credits.schema_migrations")).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> st.execute("DELETE FROM credits.transactions")).hasMessageContaining("permission denied");
        }
    }

    @Test
    void aRoleThatMayNotCreateTheSchemaIsToldWhoShould() {
        MigrationManager m = MigrationManager.create(TestDb.dataSource(cluster(), "credits_app", PASSWORD),
                MigrationSource.directory(MIGRATIONS.resolve("credits")), MigrationConfig.forSchema("credits_copy"));
        assertThat(m.version()).isEqualTo(MigrationVersion.NIL);
        assertThatThrownBy(m::up).isInstanceOf(MigrationException.class)
                .hasMessageContaining("cannot create credits_copy.schema_migrations")
                .hasMessageContaining("permission denied for database")
                .hasMessageContaining("CREATE SCHEMA \"credits_copy\" AUTHORIZATION <role>");
        assertThat(TestDb.value(cluster(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'credits_copy'")).isEqualTo("0");
    }

    @Test
    void nothingIsGrantedToPublic() {
        TestDb.execute(cluster(), "CREATE ROLE outsider LOGIN");
        for (String service : SERVICES) {
            assertThat(TestDb.value(cluster(), "SELECT has_schema_privilege('outsider', '" + service + "', 'USAGE, CREATE')")).isEqualTo("f");
            assertThat(TestDb.rows(cluster(), "SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = '" + service + "'::regnamespace"
                    + " AND c.relkind IN ('r', 'v', 'm', 'S', 'p') AND (has_table_privilege('outsider', c.oid, "
                    + "'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') "
                    + "OR EXISTS (SELECT FROM aclexplode(c.relacl) a WHERE a.grantee = 0))")).isEmpty();
            assertThat(TestDb.rows(cluster(), "SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = '" + service
                    + "'::regnamespace AND (p.proacl IS NULL OR has_function_privilege('outsider', p.oid, 'EXECUTE') "
                    + "OR EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0))")).isEmpty();
            assertThat(TestDb.rows(cluster(), "SELECT t.oid::regtype FROM pg_type t WHERE t.typnamespace = '" + service
                    + "'::regnamespace AND t.typacl IS NOT NULL AND EXISTS (SELECT FROM aclexplode(t.typacl) a WHERE a.grantee = 0)")).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"credits", "shadow", "cdefnet"})
    void everyDownFileExactlyReversesItsUpFile(String service) throws Exception {
        MigrationManager m = MigrationManager.create(TestDb.dataSource(cluster(), ROUND_TRIP_DB, cluster().superuser(), cluster().password()),
                MigrationSource.directory(MIGRATIONS.resolve(service)), MigrationConfig.forSchema(service));
        m.force(-1);
        String nil = schemaDump(service);
        String before = nil;
        List<String> states = new ArrayList<>();
        while (m.version().version() < m.status().latestVersion()) {
            m.steps(1);
            String after = schemaDump(service);
            assertThat(after).as("an up file changes the schema").isNotEqualTo(before);
            m.down();
            assertThat(schemaDump(service)).as("up then down from version %d", m.version().version()).isEqualTo(before);
            m.steps(1);
            assertThat(schemaDump(service)).as("up, down, up").isEqualTo(after);
            states.add(after);
            before = after;
        }
        m.downAll();
        assertThat(schemaDump(service)).isEqualTo(nil);
        try (Connection c = TestDb.dataSource(cluster(), ROUND_TRIP_DB, cluster().superuser(), cluster().password()).getConnection();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = '" + service + "'::regnamespace "
                     + "AND relname NOT LIKE 'schema\\_migrations%'), (SELECT count(*) FROM pg_proc WHERE pronamespace = '" + service
                     + "'::regnamespace), (SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = '"
                     + service + "'::regnamespace)")) {
            rs.next();
            assertThat(List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3))).as("nothing is left after every down").containsOnly(0L);
        }
        m.up();
        assertThat(schemaDump(service)).isEqualTo(states.get(states.size() - 1));
    }

    /** pg_dump --schema-only of the service's schema in the round-trip database, without the migration tables. */
    private static String schemaDump(String schema) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cluster().binaries().tool("pg_dump"), "--schema-only", "--no-password",
                "--host", Node.HOST, "--port", Integer.toString(cluster().primary().port()), "--username", cluster().superuser(),
                "--schema", schema, "--exclude-table", schema + ".schema_migrations", "--exclude-table", schema + ".schema_migrations_history",
                ROUND_TRIP_DB).redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", cluster().password());
        java.nio.file.Path output = java.nio.file.Files.createTempFile("schema-dump", ".sql");
        pb.redirectOutput(output.toFile()); // a file, not a pipe: a hung pg_dump cannot hang the read
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String out = java.nio.file.Files.readString(output, StandardCharsets.UTF_8);
        java.nio.file.Files.delete(output);
        assertThat(p.isAlive()).as("pg_dump finished").isFalse();
        assertThat(p.exitValue()).as(out).isZero();
        // pg_dump 15.14 and later frame the dump with a random \restrict key
        return out.replaceAll("(?m)^\\\\(un)?restrict .*$", "");
    }

    // credits

    @Test
    void creditsRejectsNegativeBalancesReservesAboveTheBalanceAndBadTransactions() throws Exception {
        try (Connection c = connectAs("credits_app"); Statement st = c.createStatement()) {
            st.execute("INSERT INTO credits.credits(account_id, balance, reserved) VALUES ('acct-1', 100, 40)");
            assertSqlState(() -> st.execute("UPDATE credits.credits SET balance = -1, reserved = 0 WHERE account_id = 'acct-1'"), "23514",
                    "credits_balance_non_negative");
            assertSqlState(() -> st.execute("INSERT INTO credits.credits(account_id, balance) VALUES ('acct-2', -5)"), "23514",
                    "credits_balance_non_negative");
            assertSqlState(() -> st.execute("UPDATE credits.credits SET reserved = 100.0001 WHERE account_id = 'acct-1'"), "23514",
                    "credits_reserved_within_balance");
            assertSqlState(() -> st.execute("UPDATE credits.credits SET balance = 39 WHERE account_id = 'acct-1'"), "23514",
                    "credits_reserved_within_balance");
            assertSqlState(() -> st.execute("UPDATE credits.credits SET reserved = -1 WHERE account_id = 'acct-1'"), "23514",
                    "credits_reserved_non_negative");
            st.execute("UPDATE credits.credits SET reserved = 100 WHERE account_id = 'acct-1'");
            assertSqlState(() -> st.execute("INSERT INTO credits.credits(account_id) VALUES ('acct-1')"), "23505", "credits_account_id_key");

            String id = TestDb.value(cluster(), "SELECT id FROM credits.credits WHERE account_id = 'acct-1'");
            assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            for (String type : List.of("credit", "debit", "reserve", "release")) {
                st.execute("INSERT INTO credits.transactions(credit_id, type, amount, idempotency_key) VALUES ('" + id + "', '" + type
                        + "', 1.5, 'key-" + type + "')");
            }
            assertSqlState(() -> st.execute("INSERT INTO credits.transactions(credit_id, type, amount) VALUES ('" + id + "', 'refund', 1)"),
                    "23514", "transactions_type_check");
            assertSqlState(() -> st.execute("INSERT INTO credits.transactions(credit_id, type, amount) VALUES ('" + id + "', 'credit', 0)"),
                    "23514", "transactions_amount_positive");
            assertSqlState(() -> st.execute("INSERT INTO credits.transactions(credit_id, type, amount) VALUES ('" + id + "', 'debit', -3)"),
                    "23514", "transactions_amount_positive");
            assertSqlState(() -> st.execute("INSERT INTO credits.transactions(credit_id, type, amount, idempotency_key) VALUES ('" + id
                    + "', 'credit', 2, 'key-credit')"), "23505", "transactions_idempotency_key_key");
            assertSqlState(() -> st.execute("INSERT INTO credits.transactions(credit_id, type, amount) VALUES (gen_random_uuid(), 'credit', 2)"),
                    "23503", "transactions_credit_id_fkey");
        }
    }

    @Test
    void creditsUpdatedAtFollowsEveryUpdate() throws Exception {
        try (Connection c = connectAs("credits_app"); Statement st = c.createStatement()) {
            st.execute("INSERT INTO credits.credits(account_id, balance, created_at, updated_at) "
                    + "VALUES ('acct-time', 10, '2001-01-01', '2001-01-01')");
            c.setAutoCommit(false);
            try (ResultSet rs = st.executeQuery("UPDATE credits.credits SET balance = 11, updated_at = '1999-01-01' "
                    + "WHERE account_id = 'acct-time' RETURNING updated_at = now(), created_at = '2001-01-01'")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("updated_at is the updating transaction's time, whatever the statement set").isTrue();
                assertThat(rs.getBoolean(2)).as("created_at is left alone").isTrue();
            }
            c.commit();
        }
        assertThat(TestDb.value(cluster(), "SELECT updated_at > now() - interval '1 hour' FROM credits.credits WHERE account_id = 'acct-time'"))
                .isEqualTo("t");
    }

    @Test
    void creditsIndexesServeTheLedgersQueries() {
        assertThat(TestDb.rows(cluster(), "SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'credits.transactions'::regclass "
                + "ORDER BY indexrelid::regclass::text")).containsExactly("credits.transactions_created_at_brin", "credits.transactions_credit_id_created_at_idx",
                "credits.transactions_idempotency_key_key", "credits.transactions_pkey", "credits.transactions_reference_id_idx");
    }

    // shadow

    @Test
    void shadowDivergenceSummaryCountsPerModelVersionAndDay() throws Exception {
        try (Connection c = connectAs("shadow_app"); Statement st = c.createStatement()) {
            String insert = "INSERT INTO shadow.evaluations(request_id, model_name, model_version, primary_result, shadow_result, shadow_error, "
                    + "evaluated_at) VALUES ";
            st.execute(insert
                    + "('r1', 'fraud', 'v2', '{\"decision\": \"allow\", \"score\": 0.1}', '{\"score\": 0.1, \"decision\": \"allow\"}', NULL, '2030-05-01 10:00Z'),"
                    + "('r2', 'fraud', 'v2', '{\"decision\": \"allow\"}', '{\"decision\": \"deny\"}', NULL, '2030-05-01 11:00Z'),"
                    + "('r3', 'fraud', 'v2', '{\"decision\": \"deny\"}', '{\"decision\": \"deny\"}', NULL, '2030-05-01 23:59Z'),"
                    + "('r4', 'fraud', 'v2', '{\"decision\": \"deny\"}', NULL, 'timeout', '2030-05-01 12:00Z'),"
                    + "('r5', 'fraud', 'v2', '{\"decision\": \"deny\"}', '{\"decision\": \"allow\"}', NULL, '2030-05-02 00:01Z'),"
                    + "('r6', 'fraud', 'v3', '{\"decision\": \"deny\"}', NULL, 'crash', '2030-05-01 09:00Z')");
            assertSqlState(() -> st.execute(insert + "('r7', 'fraud', 'v2', '{}', NULL, NULL, now())"), "23514", "evaluations_shadow_outcome");
            assertThat(TestDb.rows(st, "SELECT model_name, model_version, day, total, compared, divergent, shadow_errors, divergence_rate "
                    + "FROM shadow.divergence_summary WHERE day >= '2030-01-01' ORDER BY model_version, day")).containsExactly(
                    "fraud|v2|2030-05-01|4|3|1|1|0.3333",
                    "fraud|v2|2030-05-02|1|1|1|0|1.0000",
                    "fraud|v3|2030-05-01|1|0|0|1|null");
            assertThatThrownBy(() -> st.execute("UPDATE shadow.evaluations SET diverged = false")).hasMessageContaining("diverged");
            st.execute("SET enable_seqscan = off");
            assertThat(String.join("\n", TestDb.rows(st, "EXPLAIN SELECT request_id FROM shadow.evaluations WHERE shadow_result @> '{\"decision\": \"deny\"}'")))
                    .contains("evaluations_shadow_result_gin");
        }
    }

    // cdefnet

    /** A tenant's hash as the service computes it: HMAC-SHA-256 of the tenant id with the service's key, in hex. */
    private static String tenantHash(String tenantId) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("cdefnet-test-key".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(tenantId.getBytes(StandardCharsets.UTF_8)));
    }

    private static void setTenant(Connection c, String hash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('cdefnet.tenant_hash', ?, false)")) {
            ps.setString(1, hash);
            ps.executeQuery().close();
        }
    }

    @Test
    void cdefnetTenantsSeeOnlyTheirOwnRows() throws Exception {
        String a = tenantHash("tenant-a");
        String b = tenantHash("tenant-b");
        try (Connection tenantA = connectAs("cdefnet_app"); Connection tenantB = connectAs("cdefnet_app");
             Statement sa = tenantA.createStatement(); Statement sb = tenantB.createStatement()) {
            setTenant(tenantA, a);
            setTenant(tenantB, b);
            sa.execute("INSERT INTO cdefnet.iocs(tenant_hash, type, value) VALUES ('" + a + "', 'ip', '203.0.113.7')");
            sa.execute("INSERT INTO cdefnet.audit_log(tenant_hash, actor, action, details) VALUES ('" + a + "', 'analyst', 'create', '{\"ip\": \"203.0.113.7\"}')");
            sb.execute("INSERT INTO cdefnet.iocs(tenant_hash, type, value) VALUES ('" + b + "', 'domain', 'evil.example')");
            sb.execute("INSERT INTO cdefnet.audit_log(tenant_hash, actor, action) VALUES ('" + b + "', 'bot', 'create')");

            assertThat(TestDb.rows(sa, "SELECT value FROM cdefnet.iocs")).containsExactly("203.0.113.7");
            assertThat(TestDb.rows(sb, "SELECT value FROM cdefnet.iocs")).containsExactly("evil.example");
            assertThat(TestDb.rows(sa, "SELECT actor FROM cdefnet.audit_log")).containsExactly("analyst");
            assertThat(TestDb.rows(sa, "SELECT count(*) FROM cdefnet.iocs WHERE tenant_hash = '" + b + "'")).containsExactly("0");
            assertThat(sa.executeUpdate("DELETE FROM cdefnet.iocs WHERE tenant_hash = '" + b + "'")).isZero();
            assertThat(sa.executeUpdate("UPDATE cdefnet.iocs SET severity = 'high' WHERE value = 'evil.example'")).isZero();
            assertSqlState(() -> sa.execute("INSERT INTO cdefnet.iocs(tenant_hash, type, value) VALUES ('" + b + "', 'ip', '198.51.100.1')"),
                    "42501", "row-level security");
            assertSqlState(() -> sa.execute("UPDATE cdefnet.iocs SET tenant_hash = '" + b + "'"), "42501", "row-level security");
            assertSqlState(() -> sa.execute("INSERT INTO cdefnet.iocs(tenant_hash, type, value) VALUES ('tenant-a', 'ip', '198.51.100.2')"),
                    "42501", "row-level security");
            setTenant(tenantA, "");
            assertThat(TestDb.rows(sa, "SELECT count(*) FROM cdefnet.iocs")).containsExactly("0");
        }
        try (Connection noTenant = connectAs("cdefnet_app"); Statement st = noTenant.createStatement()) {
            assertThat(TestDb.rows(st, "SELECT count(*) FROM cdefnet.iocs")).containsExactly("0");
            assertThat(TestDb.rows(st, "SELECT count(*) FROM cdefnet.audit_log")).containsExactly("0");
            assertThatThrownBy(() -> st.execute("DELETE FROM cdefnet.audit_log")).hasMessageContaining("permission denied");
        }
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM cdefnet.iocs WHERE tenant_hash IN ('" + a + "', '" + b + "')")).isEqualTo(2);
        assertSqlStateAsOwner("INSERT INTO cdefnet.iocs(tenant_hash, type, value) VALUES ('TENANT', 'ip', '1.2.3.4')", "iocs_tenant_hash_format");
    }

    @Test
    void cdefnetCleanupDeletesOnlyExpiredIndicatorsOfEveryTenantAndSaysHowMany() throws Exception {
        String c = tenantHash("tenant-c");
        String d = tenantHash("tenant-d");
        TestDb.execute(cluster(), "INSERT INTO cdefnet.iocs(tenant_hash, type, value, first_seen, expires_at) VALUES "
                + "('" + c + "', 'url', 'https://old.example/x', now() - interval '2 days', now() - interval '1 day'),"
                + "('" + c + "', 'url', 'https://just-expired.example/', now() - interval '2 days', now() - interval '1 second'),"
                + "('" + d + "', 'email', 'old@example.org', now() - interval '40 days', now() - interval '10 days'),"
                + "('" + c + "', 'url', 'https://live.example/', now() - interval '1 day', now() + interval '1 hour'),"
                + "('" + d + "', 'file_hash', 'abc123', now(), DEFAULT)");
        long liveBefore = TestDb.count(cluster(), "SELECT count(*) FROM cdefnet.iocs WHERE expires_at > now()");
        try (Connection maintenance = connectAs("cdefnet_maintenance"); Statement st = maintenance.createStatement()) {
            assertThat(TestDb.rows(st, "SELECT cdefnet.cleanup_expired_iocs()")).containsExactly("3");
            assertThat(TestDb.rows(st, "SELECT cdefnet.cleanup_expired_iocs()")).containsExactly("0");
            assertThatThrownBy(() -> st.executeQuery("SELECT * FROM cdefnet.iocs")).hasMessageContaining("permission denied");
        }
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM cdefnet.iocs WHERE expires_at <= now()")).isZero();
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM cdefnet.iocs WHERE expires_at > now()")).isEqualTo(liveBefore);
        assertThat(TestDb.rows(cluster(), "SELECT value FROM cdefnet.iocs WHERE tenant_hash IN ('" + c + "', '" + d + "') ORDER BY value"))
                .containsExactly("abc123", "https://live.example/");
        assertThat(TestDb.value(cluster(), "SELECT expires_at - created_at FROM cdefnet.iocs WHERE value = 'abc123'")).isEqualTo("30 days");
        try (Connection app = connectAs("cdefnet_app"); Statement st = app.createStatement()) {
            assertThatThrownBy(() -> st.executeQuery("SELECT cdefnet.cleanup_expired_iocs()")).hasMessageContaining("permission denied");
        }
    }

    @Test
    void cdefnetAuditLogContainmentQueriesUseTheGinIndex() throws Exception {
        String e = tenantHash("tenant-e");
        String f = tenantHash("tenant-f");
        TestDb.execute(cluster(), "INSERT INTO cdefnet.audit_log(tenant_hash, actor, action, details) SELECT '" + e + "', 'user' || g % 50, "
                + "'view', jsonb_build_object('ip', '10.0.' || (g % 250) || '.' || (g % 200), 'request', g) FROM generate_series(1, 20000) g");
        TestDb.execute(cluster(), "INSERT INTO cdefnet.audit_log(tenant_hash, actor, action, details) "
                + "VALUES ('" + f + "', 'other-tenant', 'view', '{\"ip\": \"10.0.7.7\"}')");
        TestDb.execute(cluster(), "ANALYZE cdefnet.audit_log");
        String containment = "details @> '{\"ip\": \"10.0.7.7\"}'";
        // the plan the search function gets: it runs as the owner, which row-level security does not restrict
        try (Connection owner = connectAs("cdefnet_migrator"); Statement st = owner.createStatement()) {
            setTenant(owner, e);
            st.execute("SET enable_seqscan = off");
            String plan = String.join("\n", TestDb.rows(st, "EXPLAIN SELECT * FROM cdefnet.audit_log "
                    + "WHERE tenant_hash = current_setting('cdefnet.tenant_hash', true) AND " + containment));
            assertThat(plan).as(plan).contains("Bitmap Index Scan on audit_log_details_gin");
        }
        long scansBefore = ginScans();
        try (Connection app = connectAs("cdefnet_app"); Statement st = app.createStatement()) {
            setTenant(app, e);
            st.execute("SET enable_seqscan = off");
            List<String> found = TestDb.rows(st, "SELECT actor FROM cdefnet.search_audit_log('{\"ip\": \"10.0.7.7\"}')");
            assertThat(found).hasSize(20).allSatisfy(actor -> assertThat(actor).isEqualTo("user7"));
            assertThat(TestDb.rows(st, "SELECT count(*) FROM cdefnet.audit_log WHERE " + containment)).containsExactly("20");
            setTenant(app, "");
            assertThat(TestDb.rows(st, "SELECT count(*) FROM cdefnet.search_audit_log('{\"ip\": \"10.0.7.7\"}')")).containsExactly("0");
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> ginScans() > scansBefore);
    }

    private static long ginScans() {
        return TestDb.count(cluster(), "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelid = 'cdefnet.audit_log_details_gin'::regclass");
    }

    @FunctionalInterface
    private interface SqlAction {
        void run() throws SQLException;
    }

    private static void assertSqlState(SqlAction action, String sqlState, String messagePart) {
        assertThatThrownBy(action::run).isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getSQLState()).isEqualTo(sqlState);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }

    private static void assertSqlStateAsOwner(String sql, String messagePart) {
        assertThatThrownBy(() -> TestDb.execute(cluster(), sql)).hasMessageContaining(messagePart);
    }
}
