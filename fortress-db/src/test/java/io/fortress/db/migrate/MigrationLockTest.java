package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.api.DbConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The advisory lock: golang-migrate's keys, polled, never waited on; released however a run ends. */
class MigrationLockTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);

    @TempDir
    Path dir;

    private static LocalCluster cluster() {
        return CLUSTER.cluster();
    }

    private static List<Long> keys(String schema) {
        return MigrationLock.keys(LockKeys.BOTH, cluster().database(), new TableNames(schema, "schema_migrations", "schema_migrations_history"));
    }

    @Test
    void b2TheMigratingSessionHoldsBothGolangMigrateKeys() throws Exception {
        String schema = "lock_b2";
        try (Gate gate = Gate.closed(cluster(), "gate_b2")) {
            MigrationFiles.of().add("1_slow.up.sql", gate.sql()).writeTo(dir);
            MigrationManager m = TestDb.manager(cluster(), schema, dir);
            long cli = AdvisoryLockKey.forTable("/" + cluster().database(), schema, "schema_migrations");
            long library = AdvisoryLockKey.forTable(cluster().database(), schema, "schema_migrations");
            CompletableFuture<MigrationResult> running = CompletableFuture.supplyAsync(m::up);
            String migrating = gate.awaitWaiter();
            List<String> locks = TestDb.rows(cluster(), "SELECT classid, objid, objsubid, granted, pid FROM pg_locks "
                    + "WHERE locktype = 'advisory' ORDER BY objid");
            assertThat(locks).containsExactly("0|" + Math.min(cli, library) + "|1|t|" + migrating,
                    "0|" + Math.max(cli, library) + "|1|t|" + migrating);
            gate.open();
            assertThat(running.get(30, TimeUnit.SECONDS).toVersion()).isEqualTo(1);
        }
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isZero();
    }

    @Test
    void b4AHeldLockTimesOutWithoutABlockedBackend() throws Exception {
        String schema = "lock_b4";
        MigrationFiles.of().add("1_a.up.sql", "CREATE TABLE a();").writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir, b -> b.lockTimeout(Duration.ofSeconds(2)));
        long cliKey = AdvisoryLockKey.forTable("/" + cluster().database(), schema, "schema_migrations");
        try (Connection holder = cluster().primary().connect(); Statement st = holder.createStatement()) {
            st.execute("SELECT pg_advisory_lock(" + cliKey + ")");
            String holderPid = TestDb.value(cluster(), "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = " + cliKey);
            CompletableFuture<MigrationResult> waiting = CompletableFuture.supplyAsync(m::up);
            List<Long> blocked = new ArrayList<>();
            while (!waiting.isDone()) {
                blocked.add(TestDb.count(cluster(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"));
                blocked.add(TestDb.count(cluster(), "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"));
                Thread.sleep(100);
            }
            assertThat(blocked).isNotEmpty().containsOnly(0L);
            assertThatThrownBy(waiting::join).hasCauseInstanceOf(MigrationLockException.class)
                    .hasMessageContaining("within lockTimeout 2s").hasMessageContaining("held by pid " + holderPid)
                    .hasMessageContaining("DB_MIGRATE_LOCK_TIMEOUT");
            // the lock it took on the other key before finding this one held was given back
            assertThat(TestDb.count(cluster(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isEqualTo(1);
        }
        assertThat(m.up().toVersion()).isEqualTo(1);
    }

    @Test
    void b6ManyInstancesStartingAtOnceApplyEachMigrationOnce() throws Exception {
        String schema = "lock_b6";
        TestDb.execute(cluster(), "CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + ".runs(version int, pid int)");
        MigrationFiles files = MigrationFiles.of();
        for (int v = 1; v <= 20; v++) {
            files.add(String.format("%06d_m%d.up.sql", v, v), "CREATE TABLE t" + v + "(); INSERT INTO runs VALUES (" + v + ", pg_backend_pid());");
        }
        files.writeTo(dir);
        List<Process> jvms = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            for (int i = 0; i < 2; i++) {
                ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path"), AutoMigrateMain.class.getName(),
                        Node.HOST, Integer.toString(cluster().primary().port()), cluster().database(), cluster().superuser(), schema,
                        dir.toString()).redirectErrorStream(true);
                pb.environment().put("PGPASSWORD", cluster().password());
                jvms.add(pb.start());
            }
            List<Future<MigrationResult>> threads = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                threads.add(pool.submit(() -> MigrationManager.autoMigrate(TestDb.dataSource(cluster()), MigrationSource.directory(dir),
                        MigrationConfig.forSchema(schema))));
            }
            int applied = 0;
            for (Future<MigrationResult> f : threads) {
                MigrationResult r = f.get(120, TimeUnit.SECONDS);
                assertThat(r.toVersion()).isEqualTo(20);
                applied += r.applied().size();
            }
            for (Process jvm : jvms) {
                assertThat(jvm.waitFor(120, TimeUnit.SECONDS)).isTrue();
                String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(jvm.exitValue()).as(out).isZero();
                assertThat(out).contains("RESULT").contains("to=20");
                applied += Integer.parseInt(out.replaceAll("(?s).*RESULT applied=(\\d+).*", "$1"));
            }
            assertThat(applied).isEqualTo(20);
        } finally {
            pool.shutdownNow();
            jvms.forEach(Process::destroyForcibly);
        }
        assertThat(TestDb.rows(cluster(), "SELECT count(*), count(DISTINCT version) FROM " + schema + ".runs")).containsExactly("20|20");
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM " + schema + ".schema_migrations_history WHERE kind = 'up'")).isEqualTo(20);
        assertThat(TestDb.rows(cluster(), "SELECT version, dirty FROM " + schema + ".schema_migrations")).containsExactly("20|f");
    }

    @Test
    void b7ConcurrentIndexBuildsDoNotDeadlockWithWaitingMigrators() throws Exception {
        String schema = "lock_b7";
        MigrationFiles.of().add("1_big.up.sql", "CREATE TABLE big(id bigint, payload text);\n"
                        + "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 1000000) g;")
                .add("2_idx.up.sql", "CREATE INDEX CONCURRENTLY big_payload ON big(payload);").writeTo(dir);
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<MigrationResult>> starts = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                starts.add(pool.submit(() -> MigrationManager.autoMigrate(TestDb.dataSource(cluster()), MigrationSource.directory(dir),
                        MigrationConfig.builder().schema(schema).lockTimeout(Duration.ofMinutes(2)).build())));
            }
            for (Future<MigrationResult> f : starts) {
                assertThat(f.get(150, TimeUnit.SECONDS).toVersion()).isEqualTo(2);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(TestDb.value(cluster(), "SELECT indisvalid FROM pg_index WHERE indexrelid = '" + schema + ".big_payload'::regclass"))
                .isEqualTo("t");
        assertThat(TestDb.rows(cluster(), "SELECT version, dirty FROM " + schema + ".schema_migrations")).containsExactly("2|f");
        assertThat(cluster().primary().logTail(2000)).doesNotContain("deadlock detected");
    }

    @Test
    void b8AMigrationThatReleasesTheLockStopsTheRunBeforeTheNextOne() throws Exception {
        String schema = "lock_b8";
        List<Long> keys = keys(schema);
        MigrationFiles.of().add("1_unlock.up.sql", "SELECT pg_advisory_unlock(" + keys.get(0) + ");")
                .add("2_next.up.sql", "CREATE TABLE next();").writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        assertThatThrownBy(m::up).isInstanceOf(MigrationLockException.class)
                .hasMessageContaining("the migration lock of lock_b8.schema_migrations was lost after 1_unlock.up.sql")
                .hasMessageContaining("nothing further was run");
        assertThat(m.version()).isEqualTo(new MigrationVersion(1, false));
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".next')")).isNull();
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isZero();
    }

    @Test
    void g2AutoMigrateAtTheLatestVersionTakesNoLock() throws Exception {
        String schema = "lock_g2";
        MigrationFiles.of().add("1_a.up.sql", "CREATE TABLE a();").writeTo(dir);
        MigrationConfig impatient = MigrationConfig.builder().schema(schema).lockTimeout(Duration.ZERO).build();
        assertThat(MigrationManager.autoMigrate(TestDb.dataSource(cluster()), MigrationSource.directory(dir), impatient).toVersion()).isEqualTo(1);
        try (Connection holder = cluster().primary().connect(); Statement st = holder.createStatement()) {
            for (long key : keys(schema)) {
                st.execute("SELECT pg_advisory_lock(" + key + ")");
            }
            MigrationResult r = MigrationManager.autoMigrate(TestDb.dataSource(cluster()), MigrationSource.directory(dir), impatient);
            assertThat(r.noChange()).isTrue();
            // with work to do it needs the lock, which another migrator holds
            MigrationFiles.of().add("2_b.up.sql", "CREATE TABLE b();").writeTo(dir);
            assertThatThrownBy(() -> MigrationManager.autoMigrate(TestDb.dataSource(cluster()), MigrationSource.directory(dir), impatient))
                    .isInstanceOf(MigrationLockException.class);
        }
    }

    /** search_path, statement_timeout and lock_timeout of a session of the pool: what a migration's baseline changes. */
    private static String session(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('search_path') || '|' || current_setting('statement_timeout') || '|' "
                     + "|| current_setting('lock_timeout')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aLockThatIsNotTakenLeavesThePooledSessionAsItWas() throws Exception {
        String schema = "lock_pooled";
        MigrationFiles.of().add("1_a.up.sql", "CREATE TABLE a();").writeTo(dir);
        HikariConfig one = new HikariConfig();
        one.setDataSource(TestDb.dataSource(cluster()));
        one.setMaximumPoolSize(1);
        try (HikariDataSource pool = new HikariDataSource(one); Connection holder = cluster().primary().connect();
             Statement st = holder.createStatement()) {
            String before = session(pool);
            st.execute("SELECT pg_advisory_lock(" + keys(schema).get(0) + ")");
            MigrationManager m = MigrationManager.create(pool, MigrationSource.directory(dir), MigrationConfig.builder().schema(schema)
                    .lockTimeout(Duration.ofMillis(500)).statementTimeout(Duration.ofSeconds(7)).build());
            assertThatThrownBy(m::up).isInstanceOf(MigrationLockException.class);
            assertThat(session(pool)).isEqualTo(before);
            // and once it ran, the session it gives back is reset too
            st.execute("SELECT pg_advisory_unlock_all()");
            assertThat(m.up().toVersion()).isEqualTo(1);
            assertThat(session(pool)).isEqualTo(before);
        }
    }

    @Test
    void aMigrationOfADatabaseTakesNoPoolSlotAndLeavesThePoolAsItWas() throws Exception {
        String schema = "lock_database";
        MigrationFiles.of().add("1_a.up.sql", "CREATE TABLE a();").writeTo(dir);
        DbConfig config = TestDatabases.primaryOnly(cluster()).applicationName("lock-database-test")
                .maxOpenConns(1).maxIdleConns(1).poolTimeout(Duration.ofSeconds(1)).build();
        String migrating = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lock-database-test migrate'";
        try (Database db = Database.open(config); Connection holder = cluster().primary().connect(); Statement st = holder.createStatement()) {
            DataSource pool = db.primaryDataSource();
            String before = session(pool);
            st.execute("SELECT pg_advisory_lock(" + keys(schema).get(0) + ")");
            MigrationManager m = MigrationManager.create(db, MigrationSource.directory(dir), MigrationConfig.builder().schema(schema)
                    // 10 s, not less: the pool is checked while the migration still waits, which a busy machine may delay by seconds
                    .lockTimeout(Duration.ofSeconds(10)).statementTimeout(Duration.ofSeconds(20)).build());
            CompletableFuture<MigrationResult> waiting = CompletableFuture.supplyAsync(m::up);
            await().atMost(Duration.ofSeconds(20)).until(() -> TestDb.count(cluster(), migrating) == 1 || waiting.isDone());
            assertThat(waiting).isNotDone();
            // the pool's one connection stays the application's while the migration waits on a connection of its own
            try (Connection c = pool.getConnection()) {
                assertThat(c.isValid(1)).isTrue();
            }
            assertThat(m.version()).isEqualTo(MigrationVersion.NIL);
            assertThatThrownBy(() -> waiting.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(MigrationLockException.class)
                    .hasMessageContaining("held by pid");
            assertThat(session(pool)).isEqualTo(before);
            await().atMost(Duration.ofSeconds(10)).until(() -> TestDb.count(cluster(), migrating) == 0);
            st.execute("SELECT pg_advisory_unlock_all()");
            assertThat(m.up().toVersion()).isEqualTo(1);
            assertThat(session(pool)).isEqualTo(before);
            await().atMost(Duration.ofSeconds(10)).until(() -> TestDb.count(cluster(), migrating) == 0);
        }
    }
}
