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
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(0);
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
}
