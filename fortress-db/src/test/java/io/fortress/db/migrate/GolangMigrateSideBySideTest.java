package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both tools on one database, as teams run them: the files run as their bytes in either tool, and
 * whichever tool leaves or repairs a dirty version, fortress ends able to move up and down with a
 * status that says which tool applied each version. {@link GolangMigrate} stands in for golang-migrate.
 */
class GolangMigrateSideBySideTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    @TempDir
    Path dir;

    private static LocalCluster cluster() {
        return CLUSTER.cluster();
    }

    private static String newSchema() {
        String schema = "side" + SCHEMAS.incrementAndGet();
        TestDb.execute(cluster(), "CREATE SCHEMA " + schema);
        return schema;
    }

    /** Literals and a function body with CRLF, lone CR and LF, and a comment ended by a lone CR before a statement. */
    private static final String MIXED = "CREATE TABLE lit(k int, v text);\r\n"
            + "INSERT INTO lit VALUES (1, 'a\r\nb'), (2, 'c\rd'), (3, 'e\nf');\n"
            + "CREATE FUNCTION body() RETURNS text LANGUAGE sql AS $$SELECT 'x\r\ny'\r$$;\r"
            + "-- a comment ended by a lone CR\rCREATE TABLE after_cr(id int);\r\n";

    /** The stored literals (as hex bytes) and the function's source, as the catalog holds them. */
    private static List<String> stored(String schema) {
        List<String> rows = new java.util.ArrayList<>(TestDb.rows(cluster(), "SELECT k || ':' || encode(convert_to(v, 'UTF8'), 'hex') FROM "
                + schema + ".lit ORDER BY k"));
        rows.addAll(TestDb.rows(cluster(), "SELECT encode(convert_to(prosrc, 'UTF8'), 'hex') FROM pg_proc WHERE proname = 'body' "
                + "AND pronamespace = '" + schema + "'::regnamespace"));
        rows.addAll(TestDb.rows(cluster(), "SELECT to_regclass('" + schema + ".after_cr') IS NOT NULL"));
        return rows;
    }

    private static String hex(String s) {
        return java.util.HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFileWithCrlfLoneCrAndLfRunsAsItsBytesInBothTools() throws Exception {
        Path fortressDir = Files.createDirectories(dir.resolve("f"));
        Path goDir = Files.createDirectories(dir.resolve("g"));
        for (Path d : List.of(fortressDir, goDir)) {
            Files.write(d.resolve("1_mixed.up.sql"), MIXED.getBytes(StandardCharsets.UTF_8));
            Files.write(d.resolve("1_mixed.down.sql"), "DROP TABLE lit;\r\nDROP FUNCTION body();\rDROP TABLE after_cr;\n".getBytes(StandardCharsets.UTF_8));
        }
        String viaFortress = newSchema();
        String viaGo = newSchema();
        TestDb.manager(cluster(), viaFortress, fortressDir).up();
        try (GolangMigrate go = new GolangMigrate(cluster(), viaGo, goDir)) {
            go.up(0);
        }
        List<String> expected = List.of("1:" + hex("a\r\nb"), "2:" + hex("c\rd"), "3:" + hex("e\nf"), hex("SELECT 'x\r\ny'\r"), "t");
        assertThat(stored(viaGo)).isEqualTo(expected);
        assertThat(stored(viaFortress)).isEqualTo(expected);
        // the checksum still ignores line endings: a checkout with LF only is the same file
        String lf = MIXED.replace("\r\n", "\n").replace('\r', '\n');
        assertThat(Script.of("1_mixed.up.sql", 1, MIXED).checksum()).isEqualTo(SqlText.checksum(lf));
        MigrationManager m = TestDb.manager(cluster(), viaFortress, fortressDir);
        assertThat(m.validate().valid()).isTrue();
        assertThat(m.down().toVersion()).isEqualTo(-1);
    }

    @Test
    void aFileWithAByteOrderMarkIsRefusedBeforeAnythingRunsWhereGolangMigrateFailsOnIt() throws Exception {
        byte[] text = "CREATE TABLE bom(id int);\n".getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[text.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, withBom, 3, text.length);
        Files.write(dir.resolve("1_bom.up.sql"), withBom);
        String schema = newSchema();
        assertThatThrownBy(() -> TestDb.manager(cluster(), schema, dir)).isInstanceOf(MigrationSourceException.class)
                .hasMessageContaining("1_bom.up.sql starts with a UTF-8 byte order mark (the bytes EF BB BF)")
                .hasMessageContaining("save the file as UTF-8 without BOM");
        assertThat(TestDb.rows(cluster(), "SELECT to_regclass('" + schema + ".schema_migrations') IS NULL")).containsExactly("t");
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            assertThatThrownBy(() -> go.up(0)).hasMessageContaining("syntax error");
            assertThat(go.version()).containsExactly(1, 1);
        }
    }

    /** Five versions, each logging its run; up file {@code failing} (and down file {@code failingDown}) fails after its change. */
    private String fiveVersions(int failing, int failingDown) {
        String schema = newSchema();
        TestDb.execute(cluster(), "CREATE TABLE " + schema + ".runs(id serial, entry text)");
        MigrationFiles files = MigrationFiles.of();
        for (int v = 1; v <= 5; v++) {
            files.add(upFile(v), "CREATE TABLE t" + v + "(id int);\nINSERT INTO runs(entry) VALUES ('up " + v + "');\n"
                    + (v == failing ? "SELECT 1/0;\n" : ""));
            files.add(downFile(v), "DROP TABLE t" + v + ";\nINSERT INTO runs(entry) VALUES ('down " + v + "');\n"
                    + (v == failingDown ? "SELECT 1/0;\n" : ""));
        }
        files.writeTo(dir);
        return schema;
    }

    private static String upFile(int v) {
        return String.format("%06d_v%d.up.sql", v, v);
    }

    private static String downFile(int v) {
        return String.format("%06d_v%d.down.sql", v, v);
    }

    /** Fixes a file that failed (it never ran, so editing it is allowed). */
    private void fix(String file) throws Exception {
        Path p = dir.resolve(file);
        Files.writeString(p, Files.readString(p).replace("SELECT 1/0;\n", ""));
    }

    private List<String> runs(String schema) {
        return TestDb.rows(cluster(), "SELECT entry FROM " + schema + ".runs ORDER BY id");
    }

    /** Each version of the status: state and how it came to be applied. */
    private static List<String> status(MigrationManager m) {
        return m.status().migrations().stream()
                .map(e -> e.version() + " " + e.state() + (e.recordedAs() == null ? "" : " " + e.recordedAs().label())).toList();
    }

    private static List<String> kinds(MigrationManager m) {
        return m.history().stream().map(e -> e.kind().label() + (e.status() == HistoryEntry.Status.SUCCESS ? "" : " " + e.status().label())
                + " " + e.version()).toList();
    }

    /** Down, up and down again work, and the status has no error. */
    private static void movesBothWays(MigrationManager m) {
        long at = m.version().version();
        long below = m.down().toVersion();
        assertThat(below).isLessThan(at);
        assertThat(m.up().toVersion()).isEqualTo(5);
        assertThat(m.down().toVersion()).isEqualTo(4);
        assertThat(m.validate().findings()).noneMatch(Finding::isError);
    }

    @Test
    void golangMigrateFailsFortressForcesDownThenUpDownAndStatusWork() throws Exception {
        String schema = fiveVersions(3, 0);
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            assertThatThrownBy(() -> go.up(0)).hasMessageContaining("division by zero");
            assertThat(go.version()).containsExactly(3, 1);
        }
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        assertThat(m.validate().of(Finding.Kind.DIRTY)).singleElement().satisfies(f -> assertThat(f.message())
                .contains("records nothing that left it dirty, so another tool did").contains("fortress migrate force 3 --schema " + schema));
        m.force(2);
        assertThat(status(m)).containsExactly("1 APPLIED adopt", "2 APPLIED adopt", "3 PENDING", "4 PENDING", "5 PENDING");
        assertThat(kinds(m)).containsExactly("adopt 1", "adopt 2", "external_up failed 3", "force 2");
        assertThat(m.validate().of(Finding.Kind.LAST_ATTEMPT_FAILED)).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("failed in another tool (golang-migrate?)"));
        assertThat(m.validate().valid()).isTrue();
        fix(upFile(3));
        assertThat(m.up().applied()).extracting(MigrationResult.Applied::version).containsExactly(3L, 4L, 5L);
        movesBothWays(m);
        assertThat(status(m)).containsExactly("1 APPLIED adopt", "2 APPLIED adopt", "3 APPLIED up", "4 APPLIED up", "5 PENDING");
        assertThat(runs(schema)).containsExactly("up 1", "up 2", "up 3", "up 4", "up 5", "down 5", "up 5", "down 5");
        // and golang-migrate carries on from there
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            go.up(0);
            assertThat(go.version()).containsExactly(5, 0);
        }
        assertThat(m.down().toVersion()).isEqualTo(4);
        assertThat(kinds(m)).endsWith("external_up 5", "down 5");
    }

    @Test
    void aDatabaseStrandedByAnEarlierFortressIsRepairedWithAdopt() throws Exception {
        String schema = fiveVersions(3, 0);
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            assertThatThrownBy(() -> go.up(0)).hasMessageContaining("division by zero");
        }
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        m.force(2);
        // what fortress before #30 left: the force alone, no record of what golang-migrate applied
        TestDb.execute(cluster(), "DELETE FROM " + schema + ".schema_migrations_history WHERE kind <> 'force'");
        assertThat(status(m)).startsWith("1 OUT_OF_ORDER", "2 APPLIED force");
        assertThat(m.validate().of(Finding.Kind.OUT_OF_ORDER)).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("fortress migrate adopt 1 --schema " + schema));
        m.adopt(1);
        assertThat(status(m)).startsWith("1 APPLIED adopt", "2 APPLIED force");
        fix(upFile(3));
        assertThat(m.up().toVersion()).isEqualTo(5);
        movesBothWays(m);
    }

    @Test
    void golangMigrateFailsFortressForcesTheFailedVersionItselfOnceTheChangeWasCompletedByHand() throws Exception {
        String schema = fiveVersions(3, 0);
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            assertThatThrownBy(() -> go.up(0)).hasMessageContaining("division by zero");
        }
        TestDb.execute(cluster(), "CREATE TABLE " + schema + ".t3(id int)"); // the change, completed by hand
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        m.force(3);
        assertThat(status(m)).containsExactly("1 APPLIED adopt", "2 APPLIED adopt", "3 APPLIED force", "4 PENDING", "5 PENDING");
        assertThat(m.validate().findings()).noneMatch(Finding::isError);
        assertThat(m.up().applied()).extracting(MigrationResult.Applied::version).containsExactly(4L, 5L);
        movesBothWays(m);
        assertThat(m.migrate(2).toVersion()).isEqualTo(2); // the down file of 3 undoes the hand-made change
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".t3')")).isNull();
        m.force(4); // versions forced over say so
        assertThat(status(m)).containsExactly("1 APPLIED adopt", "2 APPLIED adopt", "3 APPLIED force", "4 APPLIED force", "5 PENDING");
        m.force(2);
        fix(upFile(3));
        assertThat(m.up().toVersion()).isEqualTo(5);
    }

    @Test
    void withHistoryOnBothSidesAGolangMigrateFailureForcedByFortressKeepsWhatEachToolApplied() throws Exception {
        String schema = fiveVersions(4, 0);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        m.migrate(2);
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            assertThatThrownBy(() -> go.up(0)).hasMessageContaining("division by zero");
            assertThat(go.version()).containsExactly(4, 1);
        }
        assertThatThrownBy(m::up).isInstanceOf(DirtyDatabaseException.class)
                .hasMessageContaining("another tool (golang-migrate?) left it dirty: its up of version 4 (v4) failed")
                .hasMessageContaining("coming from version 3");
        m.force(3);
        assertThat(status(m)).containsExactly("1 APPLIED up", "2 APPLIED up", "3 APPLIED external_up", "4 PENDING", "5 PENDING");
        assertThat(kinds(m)).containsExactly("up 1", "up 2", "external_up 3", "external_up failed 4", "force 3");
        fix(upFile(4));
        assertThat(m.up().toVersion()).isEqualTo(5);
        movesBothWays(m);
        assertThat(status(m)).containsExactly("1 APPLIED up", "2 APPLIED up", "3 APPLIED external_up", "4 APPLIED up", "5 PENDING");
    }

    @Test
    void golangMigrateRepairsItsOwnFailureWithForceBeforeOrAfterFortressSawIt() throws Exception {
        String schema = fiveVersions(3, 0);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            assertThatThrownBy(() -> go.up(0)).hasMessageContaining("division by zero");
            assertThatThrownBy(m::up).isInstanceOf(DirtyDatabaseException.class); // fortress saw it dirty and recorded what it knows
            go.force(2);
        }
        assertThat(status(m)).containsExactly("1 APPLIED adopt", "2 APPLIED adopt", "3 PENDING", "4 PENDING", "5 PENDING");
        assertThat(m.validate().findings()).noneMatch(f -> f.isError() || f.kind() == Finding.Kind.EXTERNAL_CHANGE);
        fix(upFile(3));
        assertThat(m.up().toVersion()).isEqualTo(5);
        movesBothWays(m);
        assertThat(kinds(m)).startsWith("adopt 1", "adopt 2", "external_up failed 3", "up 3");

        // the other way round: golang-migrate fails on a version it then forces as completed
        Files.writeString(dir.resolve(upFile(5)), Files.readString(dir.resolve(upFile(5))) + "SELECT 1/0;\n");
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            assertThatThrownBy(() -> go.up(0)).hasMessageContaining("division by zero");
            TestDb.execute(cluster(), "CREATE TABLE " + schema + ".t5(id int)");
            go.force(5);
        }
        assertThat(status(m)).endsWith("4 APPLIED up", "5 APPLIED"); // not recorded until fortress next takes the lock
        assertThat(m.validate().of(Finding.Kind.EXTERNAL_CHANGE)).hasSize(1);
        assertThat(m.down().toVersion()).isEqualTo(4);
        assertThat(kinds(m)).endsWith("external_up 5", "down 5");
        assertThat(m.validate().findings()).noneMatch(Finding::isError);
    }

    @Test
    void aFailedGolangMigrateRollbackForcedByFortressLeavesTheVersionsAboveItPending() throws Exception {
        String schema = fiveVersions(0, 4);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        m.up();
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            assertThatThrownBy(() -> go.down(2)).hasMessageContaining("division by zero");
            assertThat(go.version()).containsExactly(3, 1);
        }
        assertThatThrownBy(m::down).isInstanceOf(DirtyDatabaseException.class)
                .hasMessageContaining("its down of version 4 (v4) failed")
                .hasMessageContaining("fortress migrate force 4 --schema " + schema + " --source " + dir.toAbsolutePath().normalize()
                        + "` (force(4) in Java) if nothing of the down of version 4 remains, or `fortress migrate force 3 --schema " + schema
                        + " --source " + dir.toAbsolutePath().normalize() + "`");
        // the down file ran as one implicit transaction: nothing of it remains, the schema is still at 4
        m.force(4);
        assertThat(status(m)).containsExactly("1 APPLIED up", "2 APPLIED up", "3 APPLIED up", "4 APPLIED up", "5 PENDING");
        assertThat(kinds(m)).endsWith("external_down 5", "external_down failed 4", "force 4");
        fix(downFile(4));
        movesBothWays(m);
        assertThat(runs(schema)).endsWith("down 5", "down 4", "up 4", "up 5", "down 5");
    }

    @Test
    void aDirtyVersionFortressLeftIsRepairedWithGolangMigratesForce() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_t.up.sql", "CREATE TABLE t(id int);").add("1_t.down.sql", "DROP TABLE t;")
                .add("2_data.up.sql", "INSERT INTO t VALUES (1), (1);").add("2_data.down.sql", "DELETE FROM t;")
                .add("3_idx.up.sql", "CREATE UNIQUE INDEX CONCURRENTLY t_id ON t(id);").add("3_idx.down.sql", "DROP INDEX t_id;")
                .add("4_more.up.sql", "CREATE TABLE more();").add("4_more.down.sql", "DROP TABLE more;")
                .add("5_last.up.sql", "CREATE TABLE last();").add("5_last.down.sql", "DROP TABLE last;").writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        assertThatThrownBy(m::up).isInstanceOf(MigrationFailedException.class);
        assertThat(m.version()).isEqualTo(new MigrationVersion(3, true));
        TestDb.execute(cluster(), "DROP INDEX " + schema + ".t_id; DELETE FROM " + schema + ".t WHERE ctid = (SELECT max(ctid) FROM "
                + schema + ".t)");
        try (GolangMigrate go = new GolangMigrate(cluster(), schema, dir)) {
            go.force(2);
        }
        assertThat(m.validate().findings()).noneMatch(Finding::isError);
        assertThat(m.up().toVersion()).isEqualTo(5);
        movesBothWays(m);
        assertThat(status(m)).containsExactly("1 APPLIED up", "2 APPLIED up", "3 APPLIED up", "4 APPLIED up", "5 PENDING");
    }

    @Test
    void aFileBelowTheVersionAppliedByHandIsAdoptedNotRepaired() throws Exception {
        String schema = newSchema();
        MigrationFiles.of().add("1_a.up.sql", "CREATE TABLE a();").add("1_a.down.sql", "DROP TABLE a;")
                .add("2_b.up.sql", "CREATE TABLE b();").add("2_b.down.sql", "DROP TABLE b;")
                .add("4_d.up.sql", "CREATE TABLE d();").add("4_d.down.sql", "DROP TABLE d;").writeTo(dir);
        MigrationManager m = TestDb.manager(cluster(), schema, dir);
        m.up();
        MigrationFiles.of().add("3_late.up.sql", "CREATE TABLE late();").add("3_late.down.sql", "DROP TABLE late;").writeTo(dir);
        TestDb.execute(cluster(), "CREATE TABLE " + schema + ".late()"); // applied by hand
        assertThat(m.validate().of(Finding.Kind.OUT_OF_ORDER)).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("`fortress migrate adopt 3 --schema " + schema + " --source " + dir.toAbsolutePath().normalize() + "`"));
        assertThatThrownBy(() -> m.repairChecksum(3)).hasMessageContaining("does not record version 3 as applied")
                .hasMessageContaining("fortress migrate adopt 3");
        m.adopt(3);
        assertThat(status(m)).containsExactly("1 APPLIED up", "2 APPLIED up", "3 APPLIED adopt", "4 APPLIED up");
        assertThatThrownBy(() -> m.adopt(3)).hasMessageContaining("already recorded as applied (adopt");
        assertThatThrownBy(() -> m.adopt(5)).isInstanceOf(MigrationNotFoundException.class);
        assertThat(m.validate().valid()).isTrue();
        assertThat(m.migrate(2).toVersion()).isEqualTo(2);
        assertThat(TestDb.value(cluster(), "SELECT to_regclass('" + schema + ".late')")).isNull();
        assertThat(m.up().toVersion()).isEqualTo(4);
    }
}
