package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
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
 * Interoperation with golang-migrate: there is no
 * golang-migrate binary or Docker here, so {@link GolangMigrate} replays its PostgreSQL driver's SQL
 * (its lock key, version-table reads and writes, whole-file execution) against the same server.
 */
class GolangMigrateCompatibilityTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    @TempDir
    Path dir;

    private static LocalCluster cluster() {
        return CLUSTER.cluster();
    }

    /** Five versions; each up file logs its run, so a second run would show. */
    private String fiveVersions() {
        String schema = "go" + SCHEMAS.incrementAndGet();
        TestDb.execute(cluster(), "CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + ".runs(id serial, entry text)");
        MigrationFiles files = MigrationFiles.of();
        for (int v = 1; v <= 5; v++) {
            files.add(String.format("%06d_v%d.up.sql", v, v), "CREATE TABLE t" + v + "(id int);\nINSERT INTO runs(entry) VALUES ('up " + v + "');\n");
            files.add(String.format("%06d_v%d.down.sql", v, v), "DROP TABLE t" + v + ";\nINSERT INTO runs(entry) VALUES ('down " + v + "');\n");
        }
        files.writeTo(dir);
        return schema;
    }

    private List<String> runs(String schema) {
        return TestDb.rows(cluster(), "SELECT entry FROM " + schema + ".runs ORDER BY id");
    }

    private List<String> kinds(MigrationManager m) {
        return m.history().stream().map(e -> e.kind().label() + " " + e.version()).toList();
    }

    @Test
    void c2ADatabaseMigratedByGolangMigrateIsAdoptedWithoutRunningAnythingAgain() throws Exception {
        String schema = fiveVersions();
        try (GolangMigrate cli = new GolangMigrate(cluster(), schema, dir)) {
            cli.up(2);
        }
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        assertThat(m.version()).isEqualTo(new MigrationVersion(2, false));
        assertThat(m.validate().of(Finding.Kind.NOT_ADOPTED)).hasSize(1);
        MigrationResult r = m.up();
        assertThat(r.applied()).extracting(MigrationResult.Applied::version).containsExactly(3L, 4L, 5L);
        assertThat(runs(schema)).containsExactly("up 1", "up 2", "up 3", "up 4", "up 5");
        assertThat(kinds(m)).containsExactly("adopt 1", "adopt 2", "up 3", "up 4", "up 5");
        HistoryEntry adopted = m.history().get(0);
        assertThat(adopted.checksum()).isEqualTo(MigrationCatalog.load(MigrationSource.directory(dir)).get(1).upChecksum());
        assertThat(adopted.statementsTotal()).isNull();
        assertThat(m.status().migrations().get(0).recordedAs()).isEqualTo(HistoryEntry.Kind.ADOPT);
        assertThat(m.validate().valid()).isTrue();
    }

    @Test
    void c3GolangMigrateContinuesADatabaseMigratedByFortressAndItsChangesAreRecorded() throws Exception {
        String schema = fiveVersions();
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        m.migrate(3);
        try (GolangMigrate cli = new GolangMigrate(cluster(), schema, dir)) {
            assertThat(cli.version()).containsExactly(3, 0);
            cli.up(0);
            assertThat(cli.version()).containsExactly(5, 0);
            cli.down(1);
        }
        assertThat(m.version()).isEqualTo(new MigrationVersion(4, false));
        assertThat(m.validate().of(Finding.Kind.EXTERNAL_CHANGE)).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("from 3 to 4"));
        // the next fortress run records what golang-migrate did, then works from there
        assertThat(m.up().applied()).extracting(MigrationResult.Applied::version).containsExactly(5L);
        assertThat(kinds(m)).containsExactly("up 1", "up 2", "up 3", "external_up 4", "up 5");
        m.force(5);
        try (GolangMigrate cli = new GolangMigrate(cluster(), schema, dir)) {
            cli.down(2);
        }
        assertThat(m.down().toVersion()).isEqualTo(2);
        assertThat(kinds(m)).endsWith("force 5", "external_down 5", "external_down 4", "down 3");
        assertThat(runs(schema)).containsExactly("up 1", "up 2", "up 3", "up 4", "up 5", "down 5", "up 5", "down 5", "down 4", "down 3");
    }

    @Test
    void c4PingPongBetweenTheTwoToolsKeepsOneConsistentVersion() throws Exception {
        String schema = fiveVersions();
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        try (GolangMigrate cli = new GolangMigrate(cluster(), schema, dir)) {
            for (int i = 0; i < 3; i++) {
                cli.up(0);
                assertThat(m.version()).isEqualTo(new MigrationVersion(5, false));
                m.down();
                assertThat(cli.version()).containsExactly(4, 0);
            }
        }
        assertThat(m.validate().valid()).isTrue();
        assertThat(m.up().applied()).hasSize(1);
        assertThat(TestDb.rows(cluster(), "SELECT version, dirty FROM " + schema + ".schema_migrations")).containsExactly("5|f");
    }

    @Test
    void b3EachToolExcludesTheOtherThroughTheSameLockKey() throws Exception {
        String schema = fiveVersions();
        Gate gate = Gate.closed(cluster(), "gate_b3");
        MigrationFiles.of().add("000006_slow.up.sql", gate.sql()).writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir, b -> b.lockTimeout(Duration.ofMillis(300)));
        m.migrate(5);
        try (gate; GolangMigrate cli = new GolangMigrate(cluster(), schema, dir)) {
            // fortress migrating: golang-migrate's key is taken
            CompletableFuture<MigrationResult> running = CompletableFuture.supplyAsync(m::up);
            gate.awaitWaiter();
            try (Connection other = cluster().primary().connect(); Statement st = other.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + cli.lockKey() + ")")) {
                rs.next();
                assertThat(rs.getBoolean(1)).isFalse();
            }
            gate.open();
            assertThat(running.get(30, TimeUnit.SECONDS).toVersion()).isEqualTo(6);
            // golang-migrate migrating (holding its key): fortress waits, then gives up
            try (Connection goLock = cluster().primary().connect(); Statement st = goLock.createStatement()) {
                st.execute("SELECT pg_advisory_lock(" + cli.lockKey() + ")");
                assertThatThrownBy(m::down).isInstanceOf(MigrationLockException.class);
            }
        }
    }

    @Test
    void c8AReadOnlyRoleCanReadTheVersionAndStatusButNotMigrate() throws Exception {
        String schema = fiveVersions();
        MigrationManager owner = TestDb.manager(cluster(), schema, dir);
        owner.migrate(2);
        TestDb.execute(cluster(), "CREATE ROLE go_reader LOGIN PASSWORD 'reader-pw'; GRANT USAGE ON SCHEMA " + schema + " TO go_reader; "
                + "GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO go_reader");
        MigrationManager reader = MigrationManager.create(TestDb.dataSource(cluster(), "go_reader", "reader-pw"),
                MigrationSource.directory(dir), MigrationConfig.forSchema(schema));
        assertThat(reader.version()).isEqualTo(new MigrationVersion(2, false));
        assertThat(reader.status().pending()).isEqualTo(3);
        assertThatThrownBy(reader::up).isInstanceOf(MigrationFailedException.class).hasMessageContaining("permission denied");
        assertThat(owner.version()).isEqualTo(new MigrationVersion(2, false));
    }
}
