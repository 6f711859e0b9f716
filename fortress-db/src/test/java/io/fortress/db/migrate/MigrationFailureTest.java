package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions and failures: a failure in a transactional
 * migration leaves the previous version clean; files PostgreSQL cannot run in a transaction run
 * alone under golang-migrate's dirty protocol; sessions do not leak from one file into the next.
 */
class MigrationFailureTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    @TempDir
    Path dir;

    private static LocalCluster cluster() {
        return CLUSTER.cluster();
    }

    private static String newSchema() {
        return "f" + SCHEMAS.incrementAndGet();
    }

    private MigrationManager manager(String schema) {
        return TestDb.manager(cluster(), schema, dir);
    }

    private List<HistoryEntry> failures(MigrationManager m) {
        return m.history().stream().filter(e -> e.status() == HistoryEntry.Status.FAILED).toList();
    }

    private void assertNoAdvisoryLocks() {
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isZero();
    }

    @Test
    void e1AFailingTransactionalMigrationLeavesThePreviousVersionCleanAndB9ReleasesTheLock() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_a.up.sql", "CREATE TABLE base(id int);").add("1_a.down.sql", "DROP TABLE base;")
                .add("2_b.up.sql", "CREATE TABLE a();\nCREATE TABLE b();\nSELECT 1/0;\n").add("2_b.down.sql", "DROP TABLE b; DROP TABLE a;")
                .writeTo(dir);
        MigrationManager m = manager(schema);
        assertThatThrownBy(m::up).isInstanceOfSatisfying(MigrationFailedException.class, e -> {
            assertThat(e.sqlState()).isEqualTo("22012");
            assertThat(e.version()).isEqualTo(2);
            assertThat(e.file()).isEqualTo("2_b.up.sql");
            assertThat(e.statement()).isEqualTo(3);
            assertThat(e.dirty()).isFalse();
            assertThat(e.getMessage()).contains("2_b.up.sql failed at statement 3 (line 3: SELECT 1/0)")
                    .contains("division by zero").contains("version is still 1, clean").contains("no force needed");
        });
        assertThat(m.version()).isEqualTo(new MigrationVersion(1, false));
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".a')")).isNull();
        assertNoAdvisoryLocks();
        HistoryEntry failed = failures(m).get(0);
        assertThat(failed.kind()).isEqualTo(HistoryEntry.Kind.UP);
        assertThat(failed.version()).isEqualTo(2);
        assertThat(failed.fromVersion()).isEqualTo(1);
        assertThat(failed.toVersion()).isEqualTo(2);
        assertThat(failed.errorSqlState()).isEqualTo("22012");
        assertThat(failed.errorStatement()).isEqualTo(3);
        assertThat(failed.errorStatementText()).isEqualTo("SELECT 1/0");
        assertThat(failed.errorMessage()).contains("division by zero");
        assertThat(failed.statementsApplied()).isEqualTo(2);
        assertThat(failed.transactionMode()).isEqualTo(TransactionMode.TRANSACTION);
        assertThat(m.status().migrations().get(1).lastError()).contains("SQLSTATE 22012");
        assertThat(m.validate().of(Finding.Kind.LAST_ATTEMPT_FAILED)).hasSize(1);

        Files.writeString(dir.resolve("2_b.up.sql"), "CREATE TABLE a();\nCREATE TABLE b();\n");
        assertThat(m.up().toVersion()).isEqualTo(2);
        assertThat(m.version()).isEqualTo(new MigrationVersion(2, false));
        assertNoAdvisoryLocks();
    }

    @Test
    void e2AFileWrappedInBeginCommitRunsInTheEngineTransactionWithItsVersionUpdate() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_a.up.sql", "BEGIN;\nCREATE TABLE marker AS SELECT (pg_current_xact_id()::text::bigint % 4294967296) AS xid;\nCOMMIT;\n")
                .add("2_b.up.sql", "BEGIN;\nCREATE TABLE c();\nSELECT 1/0;\nCOMMIT;\n").writeTo(dir);
        MigrationManager m = manager(schema);
        assertThatThrownBy(m::up).isInstanceOfSatisfying(MigrationFailedException.class, e -> {
            assertThat(e.dirty()).isFalse();
            assertThat(e.statement()).isEqualTo(3);
        });
        String migrationXid = TestDb.value(cluster(), "SELECT xid FROM " + schema + ".marker");
        assertThat(TestDb.value(cluster(), "SELECT xmin FROM " + schema + ".schema_migrations")).isEqualTo(migrationXid);
        assertThat(TestDb.value(cluster(), "SELECT xmin FROM " + schema + ".schema_migrations_history WHERE version = 1 AND kind = 'up'"))
                .isEqualTo(migrationXid);
        assertThat(m.version()).isEqualTo(new MigrationVersion(1, false));
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".c')")).isNull();
    }

    @Test
    void e3SeveralTransactionBlocksRunOutsideATransactionUnderTheDirtyProtocol() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_a.up.sql", "BEGIN; CREATE TABLE x(); COMMIT;\nBEGIN; CREATE TABLE y(); COMMIT;")
                .add("2_b.up.sql", "BEGIN; CREATE TABLE z(); COMMIT;\nBEGIN; CREATE TABLE w(); SELECT 1/0; COMMIT;").writeTo(dir);
        MigrationManager m = manager(schema);
        assertThatThrownBy(m::up).isInstanceOfSatisfying(MigrationFailedException.class, e -> {
            assertThat(e.dirty()).isTrue();
            assertThat(e.statement()).isEqualTo(6);
            assertThat(e.getMessage()).contains("outside a transaction").contains("5 of 7 statements completed")
                    .contains("version is now 2, dirty").contains("force(1)").contains("force(2)");
        });
        assertThat(m.history()).filteredOn(e -> e.version() == 1).extracting(HistoryEntry::transactionMode).containsOnly(TransactionMode.NONE);
        assertThat(m.version()).isEqualTo(new MigrationVersion(2, true));
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".z') IS NOT NULL")).isEqualTo("t");
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".w')")).isNull();
        assertThat(failures(m)).singleElement().satisfies(f -> {
            assertThat(f.statementsApplied()).isEqualTo(5);
            assertThat(f.errorStatement()).isEqualTo(6);
        });
        // the history explains the dirty version
        assertThatThrownBy(m::up).isInstanceOf(DirtyDatabaseException.class)
                .hasMessageContaining("fortress ran the up of version 2 (b) outside a transaction and it failed at statement 6 (SELECT 1/0), SQLSTATE 22012");
        assertNoAdvisoryLocks();
    }

    @Test
    void e4CreateIndexConcurrentlyRunsAloneOutsideATransaction() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_t.up.sql", "CREATE TABLE t(id int); INSERT INTO t SELECT generate_series(1, 1000);")
                .add("2_noop.up.sql", "-- nothing\n")
                .add("3_idx.up.sql", "-- an index built without blocking writes\nCREATE INDEX CONCURRENTLY t_id ON t(id);\n")
                .add("3_idx.down.sql", "DROP INDEX CONCURRENTLY t_id;\n").writeTo(dir);
        MigrationManager m = manager(schema);
        MigrationResult r = m.up();
        assertThat(r.applied()).extracting(MigrationResult.Applied::transactionMode)
                .containsExactly(TransactionMode.TRANSACTION, TransactionMode.TRANSACTION, TransactionMode.NONE);
        assertThat(TestDb.value(cluster(), "SELECT indisvalid FROM pg_index WHERE indexrelid = '" + schema + ".t_id'::regclass")).isEqualTo("t");
        assertThat(m.version()).isEqualTo(new MigrationVersion(3, false));
        assertThat(m.history()).filteredOn(e -> e.version() == 3).extracting(HistoryEntry::status)
                .containsExactly(HistoryEntry.Status.RUNNING, HistoryEntry.Status.SUCCESS);
        assertThat(m.down().toVersion()).isEqualTo(2);
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".t_id')")).isNull();

        // golang-migrate runs the same file as one Exec too: one statement needs no transaction
        String other = newSchema();
        TestDb.execute(cluster(), "CREATE SCHEMA " + other);
        try (GolangMigrate cli = new GolangMigrate(cluster(), other, dir)) {
            cli.up(0);
            assertThat(cli.version()).containsExactly(3, 0);
        }
        assertThat(TestDb.value(cluster(), "SELECT indisvalid FROM pg_index WHERE indexrelid = '" + other + ".t_id'::regclass")).isEqualTo("t");
    }

    @Test
    void e5AFailedUniqueConcurrentIndexLeavesTheVersionDirtyUntilRepairedAndForced() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_t.up.sql", "CREATE TABLE t(id int);").add("2_data.up.sql", "INSERT INTO t VALUES (1), (1), (2);")
                .add("3_idx.up.sql", "CREATE UNIQUE INDEX CONCURRENTLY t_id ON t(id);").writeTo(dir);
        MigrationManager m = manager(schema);
        assertThatThrownBy(m::up).isInstanceOfSatisfying(MigrationFailedException.class, e -> {
            assertThat(e.sqlState()).isEqualTo("23505");
            assertThat(e.dirty()).isTrue();
            assertThat(e.getMessage()).contains("INVALID index behind: DROP INDEX it").contains("version is now 3, dirty");
        });
        assertThat(m.version()).isEqualTo(new MigrationVersion(3, true));
        assertThat(TestDb.value(cluster(), "SELECT indisvalid FROM pg_index WHERE indexrelid = '" + schema + ".t_id'::regclass")).isEqualTo("f");
        assertThat(failures(m)).singleElement().satisfies(f -> assertThat(f.errorSqlState()).isEqualTo("23505"));
        assertThat(m.status().migrations().get(2).state()).isEqualTo(MigrationStatus.State.DIRTY);

        TestDb.execute(cluster(), "DROP INDEX " + schema + ".t_id; DELETE FROM " + schema + ".t WHERE ctid IN (SELECT max(ctid) FROM "
                + schema + ".t GROUP BY id HAVING count(*) > 1)");
        m.force(2);
        assertThat(m.up().toVersion()).isEqualTo(3);
        assertThat(TestDb.value(cluster(), "SELECT indisvalid FROM pg_index WHERE indexrelid = '" + schema + ".t_id'::regclass")).isEqualTo("t");
        assertThat(m.validate().valid()).isTrue();
    }

    @Test
    void e6AConcurrentIndexMixedWithOtherStatementsIsRefusedBeforeAnythingRuns() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_ok.up.sql", "CREATE TABLE ok();")
                .add("2_mixed.up.sql", "CREATE TABLE x(a int);\nCREATE INDEX CONCURRENTLY x_a ON x(a);").writeTo(dir);
        MigrationManager m = manager(schema);
        assertThatThrownBy(m::up).isInstanceOfSatisfying(MigrationValidationException.class, e -> {
            assertThat(e.findings()).extracting(Finding::kind).containsExactly(Finding.Kind.NON_TRANSACTIONAL_MIXED);
            assertThat(e.getMessage()).contains("2_mixed.up.sql: statement 2 at line 2");
        });
        assertThat(m.version()).isEqualTo(MigrationVersion.NIL);
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".ok')")).isNull();
        assertThat(m.plan().runnable()).isFalse();

        Files.writeString(dir.resolve("2_mixed.up.sql"), "-- migrate:no-transaction\nCREATE TABLE x(a int);\nCREATE INDEX CONCURRENTLY x_a ON x(a);");
        assertThat(m.up().applied()).extracting(MigrationResult.Applied::transactionMode)
                .containsExactly(TransactionMode.TRANSACTION, TransactionMode.NONE);
    }

    @Test
    void e9AMigrationWaitingForATableLockGivesUpAfterStatementLockTimeout() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_t.up.sql", "CREATE TABLE busy(id int);").add("2_alter.up.sql", "ALTER TABLE busy ADD COLUMN note text;")
                .writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir, b -> b.statementLockTimeout(Duration.ofSeconds(1)));
        m.steps(1);
        try (Connection holder = cluster().primary().connect(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE " + schema + ".busy IN ACCESS EXCLUSIVE MODE");
            assertThatThrownBy(m::up).isInstanceOfSatisfying(MigrationFailedException.class, e -> {
                assertThat(e.sqlState()).isEqualTo("55P03");
                assertThat(e.dirty()).isFalse();
            });
            assertThat(m.version()).isEqualTo(new MigrationVersion(1, false));
            holder.rollback();
        }
        assertThat(m.up().toVersion()).isEqualTo(2);
    }

    @Test
    void e10StatementTimeoutCancelsAMigrationAndLeavesThePreviousVersion() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_slow.up.sql", "CREATE TABLE s(); SELECT pg_sleep(2);").writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir, b -> b.statementTimeout(Duration.ofMillis(500)));
        assertThatThrownBy(m::up).isInstanceOfSatisfying(MigrationFailedException.class, e -> {
            assertThat(e.sqlState()).isEqualTo("57014");
            assertThat(e.statement()).isEqualTo(2);
            assertThat(e.dirty()).isFalse();
        });
        assertThat(m.version()).isEqualTo(MigrationVersion.NIL);
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".s')")).isNull();
    }

    @Test
    void e11SettingsRolesAndTemporaryTablesDoNotLeakIntoTheNextMigration() throws Exception {
        String schema = newSchema();
        TestDb.execute(cluster(), "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'leaky') THEN CREATE ROLE leaky; END IF; END $$");
        MigrationFiles.of()
                .add("1_leak.up.sql", "SET search_path = pg_catalog;\nSET work_mem = '7MB';\nSET ROLE leaky;\n"
                        + "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;\nCREATE TEMP TABLE scratch(id int);\nPREPARE p AS SELECT 1;")
                .add("2_check.up.sql", "CREATE TABLE observed AS SELECT current_setting('search_path') AS search_path, "
                        + "current_setting('work_mem') AS work_mem, current_user AS who, "
                        + "to_regclass('pg_temp.scratch') IS NULL AS no_temp, "
                        + "(SELECT count(*) FROM pg_prepared_statements WHERE from_sql) AS prepared;")
                .add("3_leak_outside.up.sql", "-- migrate:no-transaction\nSET work_mem = '9MB';\nVACUUM;")
                .add("4_check_again.up.sql", "INSERT INTO observed SELECT current_setting('search_path'), current_setting('work_mem'), "
                        + "current_user, true, 0;")
                .writeTo(dir);
        MigrationManager m = manager(schema);
        m.up();
        String defaultWorkMem = TestDb.value(cluster(), "SELECT current_setting('work_mem')");
        assertThat(TestDb.rows(cluster(), "SELECT search_path, work_mem, who, no_temp, prepared FROM " + schema + ".observed"))
                .containsExactly(schema + "|" + defaultWorkMem + "|" + cluster().superuser() + "|t|0",
                        schema + "|" + defaultWorkMem + "|" + cluster().superuser() + "|t|0");
    }

    @Test
    void g3StopEndsTheRunBetweenTwoMigrationsWithTheVersionCleanAndTheLockReleased() throws Exception {
        String schema = newSchema();
        MigrationResult r;
        MigrationManager m;
        try (Gate gate = Gate.closed(cluster(), "gate_g3")) {
            MigrationFiles.of().add("1_slow.up.sql", "CREATE TABLE one(); " + gate.sql()).add("2_next.up.sql", "CREATE TABLE two();")
                    .writeTo(dir);
            m = manager(schema);
            CompletableFuture<MigrationResult> running = CompletableFuture.supplyAsync(m::up);
            gate.awaitWaiter();
            m.stop();
            gate.open();
            r = running.get(30, TimeUnit.SECONDS);
        }
        assertThat(r.stopped()).isTrue();
        assertThat(r.noChange()).isFalse();
        assertThat(r.applied()).extracting(MigrationResult.Applied::version).containsExactly(1L);
        assertThat(m.version()).isEqualTo(new MigrationVersion(1, false));
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".two')")).isNull();
        assertNoAdvisoryLocks();
        assertThat(m.up().applied()).extracting(MigrationResult.Applied::version).containsExactly(2L);
    }

    @Test
    void anOperationStartedAfterStopDoesNotCancelIt() throws Exception {
        String schema = newSchema();
        try (Gate gate = Gate.closed(cluster(), "gate_stop")) {
            MigrationFiles.of().add("1_slow.up.sql", "CREATE TABLE one(); " + gate.sql()).add("2_next.up.sql", "CREATE TABLE two();")
                    .writeTo(dir);
            MigrationManager m = manager(schema);
            CompletableFuture<MigrationResult> running = CompletableFuture.supplyAsync(m::up);
            gate.awaitWaiter();
            m.stop();
            // a second up() of the same manager, waiting for the lock, neither clears the first one's stop nor is stopped itself
            CompletableFuture<MigrationResult> next = CompletableFuture.supplyAsync(m::up);
            await().atMost(Duration.ofSeconds(30)).until(() -> next.isDone() || TestDb.count(cluster(),
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_try_advisory_lock%' AND pid <> pg_backend_pid()") > 0);
            gate.open();
            MigrationResult first = running.get(30, TimeUnit.SECONDS);
            assertThat(first.stopped()).isTrue();
            assertThat(first.applied()).extracting(MigrationResult.Applied::version).containsExactly(1L);
            MigrationResult second = next.get(30, TimeUnit.SECONDS);
            assertThat(second.stopped()).isFalse();
            assertThat(second.applied()).extracting(MigrationResult.Applied::version).containsExactly(2L);
        }
        assertNoAdvisoryLocks();
    }

    @Test
    void throughTheRoutedDatabaseThePooledConnectionComesBackClean() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_t.up.sql", "CREATE TABLE t(id int);\nSET search_path = pg_catalog;\nSET work_mem = '3MB';")
                .add("2_idx.up.sql", "CREATE INDEX CONCURRENTLY t_id ON t(id);").writeTo(dir);
        DbConfig config = TestDatabases.primaryOnly(cluster()).maxOpenConns(1).maxIdleConns(1).build();
        try (Database db = Database.open(config)) {
            String workMem = db.queryOne("SELECT current_setting('work_mem')", RowMapper.firstString()).orElseThrow();
            String searchPath = db.queryOne("SELECT current_setting('search_path')", RowMapper.firstString()).orElseThrow();
            MigrationResult r = MigrationManager.autoMigrate(db, MigrationSource.directory(dir), MigrationConfig.forSchema(schema));
            assertThat(r.applied()).extracting(MigrationResult.Applied::transactionMode)
                    .containsExactly(TransactionMode.TRANSACTION, TransactionMode.NONE);
            // the migrations ran on a connection of their own: the pool's only connection holds none of their settings, nor the lock
            assertThat(db.queryOne("SELECT current_setting('work_mem') || ' ' || current_setting('search_path') || ' ' || "
                    + "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())", RowMapper.firstString()))
                    .contains(workMem + " " + searchPath + " 0");
            assertThat(MigrationManager.autoMigrate(db, MigrationSource.directory(dir), MigrationConfig.forSchema(schema)).noChange()).isTrue();
        }
    }

    @Test
    void aFileThatLeavesATransactionOpenFailsAndStaysDirty() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_open.up.sql", "BEGIN; CREATE TABLE o(); COMMIT; BEGIN; CREATE TABLE p();").writeTo(dir);
        MigrationManager m = manager(schema);
        assertThatThrownBy(m::up).isInstanceOfSatisfying(MigrationFailedException.class, e -> {
            assertThat(e.dirty()).isTrue();
            assertThat(e.getMessage()).contains("left a transaction open");
        });
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".p')")).isNull();
        assertThat(m.version()).isEqualTo(new MigrationVersion(1, true));
        assertNoAdvisoryLocks();
    }
}
