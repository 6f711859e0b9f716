package io.fortress.db.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Research cases A1-A10 and A12 (the source side): golang-migrate's file names, read more strictly. */
class MigrationSourceTest {
    @TempDir
    Path dir;

    private MigrationCatalog load(MigrationFiles files) {
        return MigrationCatalog.load(MigrationSource.directory(files.writeTo(dir)));
    }

    @Test
    void aFolderSourceNamesItsFolderForTheRepairAdvice() {
        MigrationCatalog fromFolder = load(MigrationFiles.of().add("1_init.up.sql", "CREATE TABLE a();"));
        assertThat(fromFolder.folder()).as("the --source DIR of the advised command").isEqualTo(dir);
    }

    @Test
    void a1ReadsVersionIdentifierAndBothDirections() {
        MigrationCatalog c = load(MigrationFiles.of().add("1_init.up.sql", "CREATE TABLE a();").add("1_init.down.sql", "DROP TABLE a;"));
        Migration m = c.get(1);
        assertThat(m.name()).isEqualTo("init");
        assertThat(m.up().fileName()).isEqualTo("1_init.up.sql");
        assertThat(m.down().fileName()).isEqualTo("1_init.down.sql");
        assertThat(m.up().text()).isEqualTo("CREATE TABLE a();");
    }

    @Test
    void a2LeadingZerosCollideAndDuplicatesNameBothFiles() {
        assertThatThrownBy(() -> load(MigrationFiles.of().add("000001_x.up.sql", "").add("1_y.up.sql", "")))
                .isInstanceOf(MigrationSourceException.class)
                .hasMessageContaining("version 1 has two up files, 000001_x.up.sql and 1_y.up.sql");
    }

    @Test
    void a3OrdersNumerically() {
        MigrationCatalog c = load(MigrationFiles.of().add("10_b.up.sql", "").add("9_a.up.sql", "").add("100_c.up.sql", ""));
        assertThat(c.all().stream().map(Migration::version).toList()).containsExactly(9L, 10L, 100L);
        assertThat(c.next(-1)).isEqualTo(9L);
        assertThat(c.next(9)).isEqualTo(10L);
        assertThat(c.previous(9)).isEqualTo(-1L);
        assertThat(c.latest()).isEqualTo(100L);
    }

    @Test
    void a4IgnoresFilesGolangMigrateIgnoresAndRefusesLookalikes() throws Exception {
        Files.createDirectories(dir.resolve("2_x.up.sql"));
        MigrationCatalog c = load(MigrationFiles.of().add("README.md", "# docs").add("1_x.up", "").add("notes.sql", "")
                .add("3_ok.up.sql", "SELECT 1;"));
        assertThat(c.all().stream().map(Migration::version).toList()).containsExactly(3L);
        // golang-migrate skips these silently; a migration that never runs is a mistake, so they are refused
        assertThatThrownBy(() -> load(MigrationFiles.of().add("1.up.sql", "").add("1_x.UP.sql", "")))
                .isInstanceOf(MigrationSourceException.class)
                .hasMessageContaining("1.up.sql looks like a migration but does not match")
                .hasMessageContaining("1_x.UP.sql looks like a migration");
    }

    @Test
    void a5ABackupFileGolangMigrateWouldReadIsAnError() {
        assertThatThrownBy(() -> load(MigrationFiles.of().add("1_x.up.sql", "").add("1_x.up.sql.bak", "")))
                .isInstanceOf(MigrationSourceException.class)
                .hasMessageContaining("1_x.up.sql.bak has the extension '.sql.bak' but golang-migrate reads it as a migration of version 1");
    }

    @Test
    void a6VersionZeroIsValid() {
        assertThat(load(MigrationFiles.of().add("0_zero.up.sql", "")).contains(0)).isTrue();
    }

    @Test
    void a7VersionsAboveTheBigintRangeAreRefused() {
        assertThatThrownBy(() -> load(MigrationFiles.of().add("9223372036854775808_x.up.sql", "")))
                .isInstanceOf(MigrationSourceException.class)
                .hasMessageContaining("9223372036854775808_x.up.sql has version 9223372036854775808, above the largest version");
        MigrationCatalog largest = MigrationCatalog.load(MigrationSource.directory(
                MigrationFiles.of().add("9223372036854775807_x.up.sql", "").writeTo(dir.resolve("largest"))));
        assertThat(largest.latest()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void a8AnEmptyIdentifierIsValid() {
        assertThat(load(MigrationFiles.of().add("1_.up.sql", "")).get(1).name()).isEmpty();
    }

    @Test
    void a9VersionsWithOnlyOneDirection() {
        MigrationCatalog c = load(MigrationFiles.of().add("3_a.up.sql", "CREATE TABLE t3();").add("5_b.down.sql", "DROP TABLE t5;"));
        assertThat(c.get(3).down()).isNull();
        assertThat(c.get(5).up()).isNull();
        assertThat(c.get(5).name()).isEqualTo("b");
        assertThat(c.lint()).extracting(Finding::kind).containsExactly(Finding.Kind.MISSING_DOWN);
    }

    @Test
    void a10LineEndingsDoNotChangeTheChecksumButContentDoesAndAByteOrderMarkIsRefused() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Files.createDirectories(a);
        Files.createDirectories(b);
        Files.write(a.resolve("1_x.up.sql"), "CREATE TABLE t(id int);\nSELECT 1;\n".getBytes(StandardCharsets.UTF_8));
        byte[] crlf = "CREATE TABLE t(id int);\r\nSELECT 1;\r".getBytes(StandardCharsets.UTF_8);
        Files.write(b.resolve("1_x.up.sql"), crlf);
        String lf = MigrationCatalog.load(MigrationSource.directory(a)).get(1).upChecksum();
        Script crlfScript = MigrationCatalog.load(MigrationSource.directory(b)).get(1).up();
        assertThat(crlfScript.checksum()).isEqualTo(lf).hasSize(64);
        assertThat(crlfScript.text()).isEqualTo("CREATE TABLE t(id int);\r\nSELECT 1;\r");
        Files.writeString(b.resolve("1_x.up.sql"), "CREATE TABLE t(id int);\nSELECT  1;\n");
        assertThat(MigrationCatalog.load(MigrationSource.directory(b)).get(1).upChecksum()).isNotEqualTo(lf);
        // joining lines changes it too (Flyway's line-based CRC would not see this)
        Files.writeString(b.resolve("1_x.up.sql"), "CREATE TABLE t(id int);SELECT 1;\n");
        assertThat(MigrationCatalog.load(MigrationSource.directory(b)).get(1).upChecksum()).isNotEqualTo(lf);
        byte[] withBom = new byte[crlf.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(crlf, 0, withBom, 3, crlf.length);
        Files.write(b.resolve("1_x.up.sql"), withBom);
        assertThatThrownBy(() -> MigrationCatalog.load(MigrationSource.directory(b))).isInstanceOf(MigrationSourceException.class)
                .hasMessageContaining("1_x.up.sql starts with a UTF-8 byte order mark");
    }

    @Test
    void filesThatAreNotUtf8AreNamed() throws Exception {
        Files.write(dir.resolve("1_x.up.sql"), new byte[] {'S', 'E', 'L', (byte) 0xC3, (byte) 0x28});
        assertThatThrownBy(() -> MigrationCatalog.load(MigrationSource.directory(dir)))
                .isInstanceOf(MigrationSourceException.class).hasMessageContaining("1_x.up.sql is not valid UTF-8 text");
    }

    @Test
    void aMissingFolderIsNamed() {
        assertThatThrownBy(() -> MigrationCatalog.load(MigrationSource.directory(dir.resolve("nope"))))
                .isInstanceOf(MigrationSourceException.class).hasMessageContaining("nope");
        assertThatThrownBy(() -> MigrationCatalog.load(MigrationSource.classpath("no/such/folder")))
                .isInstanceOf(MigrationSourceException.class).hasMessageContaining("classpath folder no/such/folder does not exist");
    }

    @Test
    void a12AJarAndAFolderHoldingTheSameFilesReadTheSame() throws Exception {
        MigrationFiles files = MigrationFiles.of().add("000001_init.up.sql", "CREATE TABLE a(id int);")
                .add("000001_init.down.sql", "DROP TABLE a;").add("000002_more.up.sql", "CREATE INDEX a_id ON a(id);")
                .add("README.md", "ignored");
        MigrationCatalog fromDir = MigrationCatalog.load(MigrationSource.directory(files.writeTo(dir.resolve("disk"))));
        Path jar = files.writeJar(dir.resolve("m.jar"), "db/migrations/credits");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            MigrationSource source = MigrationSource.classpath("/db/migrations/credits/", loader);
            assertThat(source.list()).containsExactly("000001_init.down.sql", "000001_init.up.sql", "000002_more.up.sql", "README.md");
            MigrationCatalog fromJar = MigrationCatalog.load(source);
            assertThat(List.copyOf(fromJar.all())).isEqualTo(List.copyOf(fromDir.all()));
            assertThat(source.describe()).isEqualTo("classpath folder db/migrations/credits");
        }
        // a classpath folder on disk reads the same too
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            assertThat(List.copyOf(MigrationCatalog.load(MigrationSource.classpath("disk", loader)).all())).isEqualTo(List.copyOf(fromDir.all()));
        }
    }

    @Test
    void theSameClasspathFolderInTwoPlacesIsRefused() throws Exception {
        MigrationFiles files = MigrationFiles.of().add("1_a.up.sql", "SELECT 1;");
        Path one = files.writeJar(dir.resolve("one.jar"), "m");
        Path two = files.writeJar(dir.resolve("two.jar"), "m");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {one.toUri().toURL(), two.toUri().toURL()}, null)) {
            assertThatThrownBy(() -> MigrationCatalog.load(MigrationSource.classpath("m", loader)))
                    .isInstanceOf(MigrationSourceException.class).hasMessageContaining("exists in 2 places");
        }
    }

    @Test
    void readingOutsideTheFolderIsRefused() {
        assertThatThrownBy(() -> MigrationSource.directory(dir).read("../secret"))
                .hasMessageContaining("is not a file directly in");
        assertThat(List.of(MigrationSource.directory(dir).describe())).containsExactly("directory " + dir.toAbsolutePath().normalize());
    }

    /** A source that lists files it then cannot read, as a directory on a failing disk would. */
    private static MigrationSource unreadable(List<String> names, java.util.Set<String> failing) {
        return new MigrationSource() {
            @Override
            public List<String> list() {
                return names;
            }

            @Override
            public byte[] read(String fileName) throws java.io.IOException {
                if (failing.contains(fileName)) {
                    throw new java.io.IOException("read of " + fileName + " failed");
                }
                return "SELECT 1;".getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public String describe() {
                return "test source";
            }
        };
    }

    @Test
    void everyUnreadableFileIsListedAndTheFirstReadErrorIsTheCause() {
        MigrationSource source = unreadable(List.of("1_a.up.sql", "2_b.up.sql", "3_c.up.sql"), java.util.Set.of("1_a.up.sql", "3_c.up.sql"));
        assertThatThrownBy(() -> MigrationCatalog.load(source)).isInstanceOfSatisfying(MigrationSourceException.class, e -> {
            assertThat(e.problems()).containsExactly("1_a.up.sql cannot be read: java.io.IOException: read of 1_a.up.sql failed",
                    "3_c.up.sql cannot be read: java.io.IOException: read of 3_c.up.sql failed");
            assertThat(e.getCause()).hasMessage("read of 1_a.up.sql failed");
            assertThat(e.getMessage()).startsWith("the migrations in test source cannot be used: ");
        });
    }

    @Test
    void aCatalogKnowsItsSourceWhetherItIsEmptyAndWhichVersionsItHolds() {
        MigrationCatalog empty = MigrationCatalog.load(unreadable(List.of(), java.util.Set.of()));
        assertThat(empty.isEmpty()).isTrue();
        assertThat(empty.latest()).isEqualTo(-1);
        assertThat(empty.source()).isEqualTo("test source");
        MigrationCatalog two = MigrationCatalog.load(unreadable(List.of("1_a.up.sql", "5_b.up.sql"), java.util.Set.of()));
        assertThat(two.isEmpty()).isFalse();
        assertThat(two.contains(1)).isTrue();
        assertThat(two.contains(2)).isFalse();
        assertThat(two.latest()).isEqualTo(5);
        assertThat(two.next(-1)).isEqualTo(1L);
        assertThat(two.next(1)).isEqualTo(5L);
        assertThat(two.next(5)).isNull();
        assertThat(two.previous(5)).isEqualTo(1);
        assertThat(two.previous(1)).isEqualTo(-1);
    }
}
