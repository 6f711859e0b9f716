package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * golang-migrate's semantics (a port of migrate_test.go's stub source), the
 * version table's shape and contract (C1, C5, C6, C9, C10), the dry run (G1) and the history (F8).
 * Each test migrates its own schema of one shared cluster.
 */
class MigrationSemanticsTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    @TempDir
    Path dir;

    /** golang-migrate's stub source: 1 up+down, 3 up, 4 up+down, 5 down, 7 up+down; each file logs what it did. */
    private String stubSource() {
        String schema = "d" + SCHEMAS.incrementAndGet();
        TestDb.execute(cluster(), "CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + ".sql_log(id serial PRIMARY KEY, entry text)");
        MigrationFiles.of()
                .add("1_foobar.up.sql", log("CREATE 1")).add("1_foobar.down.sql", log("DROP 1"))
                .add("3_foobar.up.sql", log("CREATE 3"))
                .add("4_foobar.up.sql", log("CREATE 4")).add("4_foobar.down.sql", log("DROP 4"))
                .add("5_foobar.down.sql", log("DROP 5"))
                .add("7_foobar.up.sql", log("CREATE 7")).add("7_foobar.down.sql", log("DROP 7"))
                .writeTo(dir);
        return schema;
    }

    private static String log(String entry) {
        return "INSERT INTO sql_log(entry) VALUES ('" + entry + "');\n";
    }

    private static LocalCluster cluster() {
        return CLUSTER.cluster();
    }

    private List<String> logOf(String schema) {
        return TestDb.rows(cluster(), "SELECT entry FROM " + schema + ".sql_log ORDER BY id");
    }

    private MigrationManager manager(String schema) {
        return TestDb.manager(cluster(), schema, dir);
    }

    private MigrationManager lenient(String schema) {
        return TestDb.manager(cluster(), schema, dir, b -> b.allowMissingDown(true));
    }

    @Test
    void d1StepsUpOneAtATime() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        List<Long> versions = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            MigrationResult r = m.steps(1);
            assertThat(r.applied()).hasSize(1);
            versions.add(m.version().version());
        }
        assertThat(versions).containsExactly(1L, 3L, 4L, 5L, 7L);
        assertThat(logOf(schema)).containsExactly("CREATE 1", "CREATE 3", "CREATE 4", "CREATE 7");
        assertThatThrownBy(() -> m.steps(1)).isInstanceOf(MigrationNotFoundException.class)
                .hasMessageContaining("no migration to apply above version 7");
        assertThat(m.version()).isEqualTo(new MigrationVersion(7, false));
    }

    @Test
    void d2DownRollsBackExactlyOneAndRefusesAMissingDownFileByDefault() {
        String schema = stubSource();
        manager(schema).up();
        MigrationManager strict = manager(schema);
        assertThat(strict.down().toVersion()).isEqualTo(5);
        assertThat(strict.down().toVersion()).isEqualTo(4);
        assertThat(strict.down().toVersion()).isEqualTo(3);
        assertThatThrownBy(strict::down).isInstanceOf(IrreversibleMigrationException.class)
                .hasMessageContaining("version 3 (3_foobar.up.sql) has no down file")
                .hasMessageContaining("DB_MIGRATE_ALLOW_MISSING_DOWN");
        assertThat(strict.version()).isEqualTo(new MigrationVersion(3, false));

        MigrationManager parity = lenient(schema);
        MigrationResult noSql = parity.down();
        assertThat(noSql.toVersion()).isEqualTo(1);
        assertThat(noSql.applied()).singleElement().satisfies(a -> assertThat(a.file()).isNull());
        assertThat(parity.down().toVersion()).isEqualTo(-1);
        assertThat(logOf(schema)).containsExactly("CREATE 1", "CREATE 3", "CREATE 4", "CREATE 7", "DROP 7", "DROP 5", "DROP 4", "DROP 1");
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM " + schema + ".schema_migrations")).isZero();
    }

    @Test
    void d3MigrateToAVersionWithoutFilesRunsNothing() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        for (long target : new long[] {0, 2, 6, 8}) {
            assertThatThrownBy(() -> m.migrate(target)).isInstanceOf(MigrationNotFoundException.class)
                    .hasMessageContaining("no migration found for version " + target);
        }
        assertThat(logOf(schema)).isEmpty();
        assertThat(m.version()).isEqualTo(MigrationVersion.NIL);
        assertThatThrownBy(() -> m.migrate(-2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void d4MigrateUpThenDownWalksEveryVersion() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        assertThat(m.migrate(7).applied()).extracting(MigrationResult.Applied::version).containsExactly(1L, 3L, 4L, 5L, 7L);
        // 3 has no down file: refused before anything runs
        assertThatThrownBy(() -> m.migrate(1)).isInstanceOf(IrreversibleMigrationException.class);
        assertThat(m.version().version()).isEqualTo(7);
        assertThat(lenient(schema).migrate(1).toVersion()).isEqualTo(1);
        assertThat(logOf(schema)).containsExactly("CREATE 1", "CREATE 3", "CREATE 4", "CREATE 7", "DROP 7", "DROP 5", "DROP 4");
        assertThat(m.migrate(1).noChange()).isTrue();
    }

    @Test
    void d5StepsPastTheEndApplyWhatExistsAndReportTheShortfall() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        m.migrate(4);
        MigrationResult r = m.steps(4);
        assertThat(r.applied()).extracting(MigrationResult.Applied::version).containsExactly(5L, 7L);
        assertThat(r.shortBy()).isEqualTo(2);
        assertThat(r.toVersion()).isEqualTo(7);
        MigrationResult back = lenient(schema).steps(-10);
        assertThat(back.toVersion()).isEqualTo(-1);
        assertThat(back.shortBy()).isEqualTo(5);
        assertThat(m.steps(0).noChange()).isTrue();
    }

    @Test
    void d6UpAtTheLatestVersionChangesNothing() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        assertThat(m.up().applied()).hasSize(5);
        long history = TestDb.count(cluster(), "SELECT count(*) FROM " + schema + ".schema_migrations_history");
        MigrationResult again = m.up();
        assertThat(again.noChange()).isTrue();
        assertThat(again.fromVersion()).isEqualTo(7);
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM " + schema + ".schema_migrations_history")).isEqualTo(history);
    }

    @Test
    void d7DownAtNilDoesNotExistAndD8DownAllReachesNil() {
        String schema = stubSource();
        MigrationManager m = lenient(schema);
        assertThatThrownBy(m::down).isInstanceOf(MigrationNotFoundException.class).hasMessageContaining("nil version");
        assertThat(m.downAll().noChange()).isTrue();
        m.up();
        MigrationResult all = m.downAll();
        assertThat(all.toVersion()).isEqualTo(-1);
        assertThat(all.applied()).extracting(MigrationResult.Applied::version).containsExactly(7L, 5L, 4L, 3L, 1L);
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM " + schema + ".schema_migrations")).isZero();
        assertThat(m.version()).isEqualTo(MigrationVersion.NIL);
        assertThat(m.migrate(7).toVersion()).isEqualTo(7);
        assertThat(m.migrate(-1).toVersion()).isEqualTo(-1);
    }

    @Test
    void d9AVersionTheSourceLacksStopsEverythingButForce() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        m.migrate(4);
        assertThatThrownBy(() -> m.force(6)).isInstanceOf(MigrationNotFoundException.class).hasMessageContaining("force(6, true)");
        m.force(6, true);
        assertThatThrownBy(m::up).isInstanceOf(MigrationNotFoundException.class)
                .hasMessageContaining("no migration found for version 6")
                .hasMessageContaining("force(version)");
        assertThatThrownBy(m::down).isInstanceOf(MigrationNotFoundException.class);
        // the dry run refuses a rollback from there as the rollback itself does
        assertThatThrownBy(() -> m.plan(4)).isInstanceOf(MigrationNotFoundException.class)
                .hasMessageContaining("no migration found for version 6").hasMessageContaining("force(version)");
        assertThatThrownBy(() -> m.plan(-1)).isInstanceOf(MigrationNotFoundException.class)
                .hasMessageContaining("no migration found for version 6");
        assertThat(m.validate().of(Finding.Kind.UNKNOWN_DB_VERSION)).hasSize(1);
        m.force(5);
        assertThat(m.up().applied()).extracting(MigrationResult.Applied::version).containsExactly(7L);
    }

    @Test
    void c1TheVersionTableHasGolangMigratesExactShapeAndOneRow() {
        String schema = stubSource();
        manager(schema).migrate(3);
        assertThat(TestDb.rows(cluster(), "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
                + "WHERE table_schema = '" + schema + "' AND table_name = 'schema_migrations' ORDER BY ordinal_position"))
                .containsExactly("version|bigint|NO|null", "dirty|boolean|NO|null");
        assertThat(TestDb.rows(cluster(), "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.conrelid = '"
                + schema + ".schema_migrations'::regclass")).containsExactly("PRIMARY KEY (version)");
        assertThat(TestDb.rows(cluster(), "SELECT version, dirty FROM " + schema + ".schema_migrations")).containsExactly("3|f");
        // what golang-migrate's driver reads
        assertThat(TestDb.value(cluster(), "SELECT COUNT(1) FROM information_schema.tables WHERE table_schema = '" + schema
                + "' AND table_name = 'schema_migrations' LIMIT 1")).isEqualTo("1");
    }

    @Test
    void c9VersionAndTheDryRunsCreateNothingAndTakeNoLockG1() throws Exception {
        String schema = "fresh" + SCHEMAS.incrementAndGet();
        MigrationFiles.of().add("1_a.up.sql", "CREATE TABLE a(id int);").add("1_a.down.sql", "DROP TABLE a;")
                .add("2_b.up.sql", "CREATE INDEX CONCURRENTLY a_id ON a(id);").add("2_b.down.sql", "DROP INDEX a_id;").writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir, b -> b.lockTimeout(Duration.ZERO));
        List<Long> keys = MigrationLock.keys(LockKeys.BOTH, cluster().database(),
                new TableNames(schema, "schema_migrations", "schema_migrations_history"));
        try (Connection holder = cluster().primary().connect(); Statement st = holder.createStatement()) {
            for (long key : keys) {
                st.execute("SELECT pg_advisory_lock(" + key + ")");
            }
            // another migrator holds the lock: none of these waits for it or fails on it
            assertThat(m.version()).isEqualTo(MigrationVersion.NIL);
            MigrationPlan plan = m.plan();
            assertThat(plan.runnable()).isTrue();
            assertThat(plan.steps()).extracting(MigrationPlan.Step::version).containsExactly(1L, 2L);
            assertThat(plan.steps()).extracting(MigrationPlan.Step::transactionMode)
                    .containsExactly(TransactionMode.TRANSACTION, TransactionMode.NONE);
            assertThat(plan.steps().get(1).statements()).containsExactly("CREATE INDEX CONCURRENTLY a_id ON a(id)");
            assertThat(plan.toVersion()).isEqualTo(2);
            assertThat(m.plan(1).steps()).hasSize(1);
            assertThat(m.status().migrations()).extracting(MigrationStatus.Entry::state)
                    .containsExactly(MigrationStatus.State.PENDING, MigrationStatus.State.PENDING);
            assertThat(m.validate().valid()).isTrue();
            assertThat(m.history()).isEmpty();
            assertThatThrownBy(m::up).isInstanceOf(MigrationLockException.class).hasMessageContaining("held by pid");
        }
        assertThat(TestDb.value(cluster(), "SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema + "'")).isEqualTo("0");
        assertThat(TestDb.value(cluster(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isEqualTo("0");
        assertThat(m.plan().toJson()).contains("\"transactionMode\" : \"NONE\"");
    }

    @Test
    void a12AJarOnTheClasspathAndAFolderGiveTheSamePlan() throws Exception {
        String schema = "jar" + SCHEMAS.incrementAndGet();
        MigrationFiles files = MigrationFiles.of().add("000001_a.up.sql", "CREATE TABLE a(id int);\nINSERT INTO a VALUES (1);")
                .add("000001_a.down.sql", "DROP TABLE a;").add("000002_b.up.sql", "CREATE INDEX CONCURRENTLY a_id ON a(id);");
        Path jar = files.writeJar(dir.resolve("migrations.jar"), "db/" + schema);
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()}, null)) {
            MigrationManager fromJar = MigrationManager.create(TestDb.dataSource(cluster()), MigrationSource.classpath("db/" + schema, loader),
                    MigrationConfig.forSchema(schema));
            MigrationManager fromDir = TestDb.manager(cluster(), schema, files.writeTo(dir.resolve("folder")));
            MigrationPlan jarPlan = fromJar.plan();
            MigrationPlan dirPlan = fromDir.plan();
            assertThat(jarPlan.steps()).hasSize(2).isEqualTo(dirPlan.steps());
            assertThat(jarPlan.source()).isEqualTo("classpath folder db/" + schema);
            assertThat(fromJar.up().toVersion()).isEqualTo(2);
            assertThat(fromDir.validate().valid()).isTrue();
        }
    }

    @Test
    void c5DirtyBlocksEverythingUntilForceAndC6TheDirtyNilRowToo() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        m.migrate(3);
        TestDb.execute(cluster(), "TRUNCATE " + schema + ".schema_migrations; INSERT INTO " + schema + ".schema_migrations VALUES (4, true)");
        assertThat(m.version()).isEqualTo(new MigrationVersion(4, true));
        assertThatThrownBy(m::up).isInstanceOf(DirtyDatabaseException.class)
                .hasMessageStartingWith("Dirty database version 4. Fix and force version.")
                .hasMessageContaining("another tool (golang-migrate?) left it dirty: its up of version 4");
        assertThatThrownBy(m::down).isInstanceOf(DirtyDatabaseException.class);
        assertThatThrownBy(() -> m.migrate(7)).isInstanceOf(DirtyDatabaseException.class);
        assertThatThrownBy(() -> m.steps(1)).isInstanceOf(DirtyDatabaseException.class);
        assertThat(m.validate().of(Finding.Kind.DIRTY)).hasSize(1);
        assertThat(m.status().migrations()).filteredOn(e -> e.version() == 4).singleElement()
                .satisfies(e -> assertThat(e.state()).isEqualTo(MigrationStatus.State.DIRTY));
        m.force(3);
        assertThat(m.version()).isEqualTo(new MigrationVersion(3, false));
        m.force(-1);
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM " + schema + ".schema_migrations")).isZero();
        assertThatThrownBy(() -> m.force(-2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1 (nil) or higher");

        TestDb.execute(cluster(), "INSERT INTO " + schema + ".schema_migrations VALUES (-1, true)");
        assertThat(m.version()).isEqualTo(new MigrationVersion(-1, true));
        assertThatThrownBy(m::up).isInstanceOf(DirtyDatabaseException.class).hasMessageContaining("version -1");
        m.force(-1);
        assertThat(m.version()).isEqualTo(MigrationVersion.NIL);
        assertThat(m.up().toVersion()).isEqualTo(7);
    }

    @Test
    void c10TwoRowsInTheVersionTableAreRefused() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        m.migrate(3);
        TestDb.execute(cluster(), "INSERT INTO " + schema + ".schema_migrations VALUES (4, false)");
        assertThatThrownBy(m::version).isInstanceOf(MigrationException.class)
                .hasMessageContaining("holds more than one row (versions 3 and 4)").hasMessageContaining("force(version)");
        assertThatThrownBy(m::up).isInstanceOf(MigrationException.class).hasMessageContaining("more than one row");
        m.force(3);
        assertThat(TestDb.rows(cluster(), "SELECT version, dirty FROM " + schema + ".schema_migrations")).containsExactly("3|f");
    }

    @Test
    void e12EmptyAndCommentOnlyFilesMoveTheVersion() {
        String schema = "e" + SCHEMAS.incrementAndGet();
        MigrationFiles.of().add("1_empty.up.sql", "").add("2_comment.up.sql", "-- nothing to do yet\n/* really */\n")
                .add("2_comment.down.sql", "-- nothing to undo\n").writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        MigrationResult r = m.up();
        assertThat(r.toVersion()).isEqualTo(2);
        assertThat(r.applied()).extracting(MigrationResult.Applied::statements).containsExactly(0, 0);
        assertThat(m.down().toVersion()).isEqualTo(1);
    }

    @Test
    void f8HistoryRecordsEachEventWithWhoWhenHowLongAndHow() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        m.migrate(1);
        m.down();
        m.force(4);
        List<HistoryEntry> history = m.history();
        assertThat(history).extracting(HistoryEntry::kind)
                .containsExactly(HistoryEntry.Kind.UP, HistoryEntry.Kind.DOWN, HistoryEntry.Kind.FORCE);
        assertThat(history).allSatisfy(e -> {
            assertThat(e.status()).isEqualTo(HistoryEntry.Status.SUCCESS);
            assertThat(e.installedBy()).isEqualTo(cluster().superuser());
            assertThat(e.clientInfo()).startsWith("fortress-db ").contains(" pid " + ProcessHandle.current().pid());
            assertThat(e.startedAt()).isNotNull();
            assertThat(e.finishedAt()).isAfterOrEqualTo(e.startedAt());
        });
        HistoryEntry up = history.get(0);
        assertThat(up.fromVersion()).isEqualTo(-1);
        assertThat(up.toVersion()).isEqualTo(1);
        assertThat(up.transactionMode()).isEqualTo(TransactionMode.TRANSACTION);
        assertThat(up.executionMs()).isNotNull().isGreaterThanOrEqualTo(0);
        assertThat(up.statementsTotal()).isEqualTo(1);
        assertThat(up.statementsApplied()).isEqualTo(1);
        assertThat(up.checksum()).isEqualTo(MigrationCatalog.load(MigrationSource.directory(dir)).get(1).upChecksum());
        HistoryEntry down = history.get(1);
        assertThat(down.fromVersion()).isEqualTo(1);
        assertThat(down.toVersion()).isEqualTo(-1);
        assertThat(down.executionMs()).isGreaterThanOrEqualTo(0);
        HistoryEntry force = history.get(2);
        assertThat(force.fromVersion()).isEqualTo(-1);
        assertThat(force.toVersion()).isEqualTo(4);
        assertThat(force.transactionMode()).isNull();
        // versions force moved over are not reported as skipped files
        assertThat(m.validate().valid()).isTrue();
        MigrationStatus status = m.status();
        assertThat(status.migrations()).extracting(MigrationStatus.Entry::state).containsExactly(MigrationStatus.State.APPLIED,
                MigrationStatus.State.APPLIED, MigrationStatus.State.APPLIED, MigrationStatus.State.PENDING, MigrationStatus.State.PENDING);
        assertThat(status.pending()).isEqualTo(2);
        assertThat(status.toJson()).contains("\"state\" : \"PENDING\"");
    }

    @Test
    void statusShowsWhenWhoAndHowLongForAppliedVersions() {
        String schema = stubSource();
        MigrationManager m = manager(schema);
        m.migrate(3);
        MigrationStatus status = m.status();
        assertThat(status.version()).isEqualTo(3);
        assertThat(status.latestVersion()).isEqualTo(7);
        MigrationStatus.Entry first = status.migrations().get(0);
        assertThat(first.state()).isEqualTo(MigrationStatus.State.APPLIED);
        assertThat(first.checksumOk()).isTrue();
        assertThat(first.recordedAs()).isEqualTo(HistoryEntry.Kind.UP);
        assertThat(first.appliedAt()).isNotNull();
        assertThat(first.appliedBy()).startsWith(cluster().superuser() + " (fortress-db ");
        assertThat(first.executionMs()).isGreaterThanOrEqualTo(0);
        assertThat(first.transactionMode()).isEqualTo(TransactionMode.TRANSACTION);
        assertThat(status.migrations().get(2).state()).isEqualTo(MigrationStatus.State.PENDING);
        assertThat(status.migrations().get(2).appliedAt()).isNull();
        assertThat(status.toJson()).contains("\"appliedAt\" : \"20");
    }
}
