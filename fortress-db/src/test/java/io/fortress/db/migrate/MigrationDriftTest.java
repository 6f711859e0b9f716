package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checksums and drift: "never modify deployed migrations" is enforced, with a
 * repair path, and a schema changed outside migrations is reported.
 */
class MigrationDriftTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    @TempDir
    Path dir;

    private static LocalCluster cluster() {
        return CLUSTER.cluster();
    }

    private MigrationManager threeApplied() {
        String schema = "drift" + SCHEMAS.incrementAndGet();
        MigrationFiles.of()
                .add("1_a.up.sql", "CREATE TABLE a(id int);\n").add("1_a.down.sql", "DROP TABLE a;\n")
                .add("2_b.up.sql", "CREATE TABLE b(id int);\n").add("2_b.down.sql", "DROP TABLE b;\n")
                .add("3_c.up.sql", "CREATE TABLE c(id int);\n").add("3_c.down.sql", "DROP TABLE c;\n")
                .writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        m.up();
        return m;
    }

    @Test
    void f1AModifiedAppliedFileStopsMigratingUntilRepaired() throws Exception {
        MigrationManager m = threeApplied();
        String applied = MigrationCatalog.load(MigrationSource.directory(dir)).get(2).upChecksum();
        Files.writeString(dir.resolve("2_b.up.sql"), "CREATE TABLE b(id bigint);\n");
        Files.writeString(dir.resolve("4_d.up.sql"), "CREATE TABLE d();\n");
        String now = MigrationCatalog.load(MigrationSource.directory(dir)).get(2).upChecksum();
        ValidationReport report = m.validate();
        assertThat(report.valid()).isFalse();
        assertThat(report.of(Finding.Kind.MODIFIED)).singleElement().satisfies(f -> {
            assertThat(f.version()).isEqualTo(2);
            assertThat(f.file()).isEqualTo("2_b.up.sql");
            assertThat(f.message()).contains(applied.substring(0, 12)).contains(now.substring(0, 12))
                    .contains("never modify deployed migrations").contains("repairChecksum(2)");
        });
        assertThatThrownBy(m::up).isInstanceOf(MigrationValidationException.class).hasMessageContaining("2_b.up.sql changed");
        assertThatThrownBy(m::autoMigrate).isInstanceOf(MigrationValidationException.class);
        assertThat(m.version().version()).isEqualTo(3);
        assertThat(m.status().migrations().get(1).checksumOk()).isFalse();

        m.repairChecksum(2);
        assertThat(m.history().get(m.history().size() - 1).kind()).isEqualTo(HistoryEntry.Kind.REPAIR_CHECKSUM);
        assertThat(m.validate().valid()).isTrue();
        assertThat(m.status().migrations().get(1).checksumOk()).isTrue();
        assertThat(m.up().toVersion()).isEqualTo(4);
        assertThatThrownBy(() -> m.repairChecksum(9)).isInstanceOf(MigrationNotFoundException.class);
    }

    @Test
    void f2LineEndingChangesAreNotModifications() throws Exception {
        MigrationManager m = threeApplied();
        byte[] crlf = "CREATE TABLE b(id int);\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(dir.resolve("2_b.up.sql"), crlf);
        assertThat(m.validate().findings()).isEmpty();
        Files.writeString(dir.resolve("2_b.down.sql"), "DROP TABLE b CASCADE;\n");
        assertThat(m.validate().findings()).extracting(Finding::kind).containsExactly(Finding.Kind.DOWN_MODIFIED);
        assertThat(m.validate().valid()).isTrue();
    }

    @Test
    void f3AMissingAppliedFileIsAWarningOnly() throws Exception {
        MigrationManager m = threeApplied();
        Files.delete(dir.resolve("2_b.up.sql"));
        Files.delete(dir.resolve("2_b.down.sql"));
        ValidationReport report = m.validate();
        assertThat(report.valid()).isTrue();
        assertThat(report.of(Finding.Kind.MISSING_FILE)).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Finding.Severity.WARNING);
            assertThat(f.version()).isEqualTo(2);
            assertThat(f.message()).contains("version 2 (b) is applied but its files are gone");
        });
        assertThat(m.status().migrations()).extracting(MigrationStatus.Entry::state).containsExactly(MigrationStatus.State.APPLIED,
                MigrationStatus.State.MISSING_FILE, MigrationStatus.State.APPLIED);
        Files.writeString(dir.resolve("4_d.up.sql"), "CREATE TABLE d();\n");
        assertThat(m.up().toVersion()).isEqualTo(4);
    }

    @Test
    void f4AFileBelowTheCurrentVersionIsNeverRunImplicitly() throws Exception {
        String schema = "drift" + SCHEMAS.incrementAndGet();
        MigrationFiles.of().add("10_a.up.sql", "CREATE TABLE a();").add("30_c.up.sql", "CREATE TABLE c();").writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        m.up();
        Files.writeString(dir.resolve("25_late.up.sql"), "CREATE TABLE late();");
        Files.writeString(dir.resolve("40_next.up.sql"), "CREATE TABLE next();");
        assertThat(m.validate().of(Finding.Kind.OUT_OF_ORDER)).singleElement().satisfies(f -> {
            assertThat(f.version()).isEqualTo(25);
            assertThat(f.message()).contains("25_late.up.sql (version 25) is below the database's version 30 but never ran")
                    .contains("rename it to 000041_late.up.sql");
        });
        assertThat(m.status().migrations()).filteredOn(e -> e.version() == 25).singleElement()
                .satisfies(e -> assertThat(e.state()).isEqualTo(MigrationStatus.State.OUT_OF_ORDER));
        assertThatThrownBy(m::up).isInstanceOf(MigrationValidationException.class).hasMessageContaining("25_late.up.sql");
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".late')")).isNull();
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".next')")).isNull();

        Files.move(dir.resolve("25_late.up.sql"), dir.resolve("41_late.up.sql"));
        assertThat(m.up().applied()).extracting(MigrationResult.Applied::version).containsExactly(40L, 41L);
    }

    @Test
    void f7AnOutOfBandSchemaChangeIsReportedAsDriftNamingTheTable() throws Exception {
        MigrationManager m = threeApplied();
        String schema = m.status().schema();
        assertThat(m.validate().findings()).as("no drift right after a run that recorded the fingerprint").isEmpty();

        TestDb.execute(cluster(), "ALTER TABLE " + schema + ".b ADD COLUMN z int");
        ValidationReport report = m.validate();
        assertThat(report.valid()).as("drift warns, it does not stop migrations").isTrue();
        assertThat(report.of(Finding.Kind.SCHEMA_DRIFT)).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Finding.Severity.WARNING);
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.message()).contains("schema " + schema + " changed outside migrations since version 3 was applied: table b changed")
                    .doesNotContain("table a").doesNotContain("table c").contains("force(3)");
        });
        assertThat(m.status().findings()).extracting(Finding::kind).contains(Finding.Kind.SCHEMA_DRIFT);

        TestDb.execute(cluster(), "CREATE INDEX ON " + schema + ".a (id); CREATE FUNCTION " + schema + ".f() RETURNS int LANGUAGE sql AS 'SELECT 1'");
        assertThat(m.validate().of(Finding.Kind.SCHEMA_DRIFT)).singleElement().satisfies(f -> assertThat(f.message())
                .contains("function f() was added; table a changed; table b changed"));

        // a migration that makes the change part of the schema's history records a new fingerprint
        Files.writeString(dir.resolve("4_d.up.sql"), "ALTER TABLE b DROP COLUMN z; DROP INDEX a_id_idx; DROP FUNCTION f();\n");
        Files.writeString(dir.resolve("4_d.down.sql"), "SELECT 1;\n");
        m.up();
        assertThat(m.validate().findings()).isEmpty();

        // force accepts the schema as it is
        TestDb.execute(cluster(), "DROP TABLE " + schema + ".c");
        assertThat(m.validate().of(Finding.Kind.SCHEMA_DRIFT)).singleElement().satisfies(f -> assertThat(f.message())
                .contains("table c was dropped"));
        m.force(4);
        assertThat(m.validate().findings()).isEmpty();
    }

    @Test
    void f7NoDriftIsClaimedWhenGolangMigrateMovedTheVersion() throws Exception {
        MigrationManager m = threeApplied();
        String schema = m.status().schema();
        Files.writeString(dir.resolve("4_d.up.sql"), "CREATE TABLE d();\n");
        Files.writeString(dir.resolve("4_d.down.sql"), "DROP TABLE d;\n");
        // golang-migrate applies version 4: the table appears, the version moves, fortress records nothing
        TestDb.execute(cluster(), "CREATE TABLE " + schema + ".d(); UPDATE " + schema + ".schema_migrations SET version = 4");
        assertThat(m.validate().findings()).extracting(Finding::kind).containsExactly(Finding.Kind.EXTERNAL_CHANGE);
    }

    @Test
    void f7AHistoryTableFromBeforeFingerprintsGetsTheColumnAtTheNextRun() throws Exception {
        MigrationManager m = threeApplied();
        String schema = m.status().schema();
        TestDb.execute(cluster(), "ALTER TABLE " + schema + ".schema_migrations_history DROP COLUMN schema_fingerprint");
        TestDb.execute(cluster(), "ALTER TABLE " + schema + ".c ADD COLUMN z int");
        assertThat(m.validate().findings()).as("nothing recorded to compare with").isEmpty();

        Files.writeString(dir.resolve("4_d.up.sql"), "CREATE TABLE d();\n");
        Files.writeString(dir.resolve("4_d.down.sql"), "DROP TABLE d;\n");
        assertThat(m.up().toVersion()).isEqualTo(4);
        assertThat(TestDb.count(cluster(), "SELECT count(*) FROM " + schema + ".schema_migrations_history WHERE schema_fingerprint IS NOT NULL"))
                .isEqualTo(1);
        TestDb.execute(cluster(), "DROP TABLE " + schema + ".d");
        assertThat(m.validate().of(Finding.Kind.SCHEMA_DRIFT)).singleElement().satisfies(f -> assertThat(f.message())
                .contains("since version 4 was applied: table d was dropped"));
    }

    @Test
    void f7PartitionsCreatedAtRunTimeAreNoDrift() throws Exception {
        String schema = "drift" + SCHEMAS.incrementAndGet();
        MigrationFiles.of().add("1_events.up.sql", "CREATE TABLE events(at date NOT NULL, body text) PARTITION BY RANGE (at);\n"
                + "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n")
                .add("1_events.down.sql", "DROP TABLE events;\n").writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        m.up();
        TestDb.execute(cluster(), "CREATE TABLE " + schema + ".events_2027 PARTITION OF " + schema + ".events "
                + "FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')");
        assertThat(m.validate().findings()).isEmpty();
        TestDb.execute(cluster(), "ALTER TABLE " + schema + ".events ADD COLUMN source text");
        assertThat(m.validate().of(Finding.Kind.SCHEMA_DRIFT)).singleElement().satisfies(f -> assertThat(f.message())
                .contains(": table events changed."));
    }
}
