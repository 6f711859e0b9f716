package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.internal.backup.BackupFiles;
import io.fortress.db.internal.backup.BackupStore;
import io.fortress.db.internal.backup.ClientTools;
import io.fortress.db.internal.backup.GlobalsScript;
import io.fortress.db.internal.backup.PgVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup folder is untrusted input (issue #23, section 1). Each test plays someone who can write
 * into BACKUP_DIR, manifests included, against real backups, the real psql and pg_restore: a
 * manifest naming files outside its folder, a globals file that runs a shell command (at the start
 * of a line, and inside one, where only psql's \restrict stops it), retention led outside the folder
 * by a manifest or a symbolic link, a planted lock-file link, and a folder others may write.
 * Each shows the attack failing (the marker file a shell command would create never appears,
 * nothing outside the folder is deleted) and the message a user gets.
 */
class RepositoryTrustTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final String SOURCE = "trust_src";
    private static Database db;

    @TempDir
    Path tmp;

    @BeforeAll
    static void createData() {
        BackupTesting.createDatabase(CLUSTER.cluster(), SOURCE);
        BackupTesting.sql(CLUSTER.cluster(), SOURCE, "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 100) g");
        db = Database.open(TestDatabases.primaryOnly(CLUSTER.cluster()).database(SOURCE).build());
    }

    @AfterAll
    static void close() {
        if (db != null) {
            db.close();
        }
    }

    private BackupManager manager(String folder, Consumer<BackupConfig.Builder> settings) throws IOException {
        BackupConfig.Builder b = BackupConfig.builder().backupDir(BackupTesting.folder(tmp, folder)).verifyAfterBackup(VerifyLevel.CHECKSUMS);
        settings.accept(b);
        return BackupManager.create(db, b.build());
    }

    /** Rewrites a manifest as an attacker with write access to the folder would. */
    private static void tamper(BackupInfo backup, Consumer<ObjectNode> change) throws IOException {
        ObjectNode m = (ObjectNode) BackupStore.JSON.readTree(backup.manifestPath().toFile());
        change.accept(m);
        Files.write(backup.manifestPath(), BackupStore.JSON.writeValueAsBytes(m));
    }

    /** Replaces a file of a backup and records its new size and SHA-256 in the manifest, so that checksums pass. */
    private static void replaceListedFile(BackupInfo backup, String name, String content) throws IOException {
        Path file = backup.manifestPath().resolveSibling(name);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Files.write(file, bytes);
        tamper(backup, m -> {
            for (var f : (ArrayNode) m.get("files")) {
                if (f.get("path").asText().equals(name)) {
                    ((ObjectNode) f).put("size_bytes", bytes.length).put("sha256", HexFormat.of().formatHex(BackupFiles.sha256(bytes)));
                }
            }
        });
    }

    private Path marker(String name) {
        return tmp.resolve(name);
    }

    @Test
    void aManifestNamingAGlobalsFileOutsideItsFolderIsRefusedAndNothingRuns() throws Exception {
        BackupManager manager = manager("outside", b -> b.globals(true));
        BackupInfo backup = manager.backup();
        Path evil = tmp.resolve("evil.sql");
        Path marker = marker("pwned-outside");
        Files.writeString(evil, "\\! touch " + marker + "\n");
        String evilSha = HexFormat.of().formatHex(BackupFiles.sha256(evil));
        for (String path : List.of("../evil.sql", evil.toString())) {
            tamper(backup, m -> {
                m.put("globals", path);
                ObjectNode entry = ((ArrayNode) m.get("files")).addObject();
                entry.put("path", path).put("size_bytes", 1).put("sha256", evilSha);
            });

            assertThatThrownBy(() -> manager.restore(backup.manifestPath(), RestoreOptions.builder().targetDatabase("never_created")
                    .globals(true).build()))
                    .isInstanceOf(BackupException.class)
                    .hasMessageContaining("the manifest " + backup.manifestPath() + " is refused")
                    .hasMessageContaining("its globals file '" + path + "' is not " + backup.id() + ".globals.sql");
            assertThat(manager.listBackups()).as("not listed either").isEmpty();
            assertThat(marker).doesNotExist();
            assertThat(BackupTesting.databaseExists(CLUSTER.cluster(), "never_created")).isFalse();
            tamper(backup, m -> {
                m.put("globals", backup.manifest().files().globals());
                ArrayNode files = (ArrayNode) m.get("files");
                files.remove(files.size() - 1);
            });
        }
        // the archive too: an absolute or ../ archive is refused the same way
        tamper(backup, m -> m.put("archive", "../" + backup.manifest().files().archive()));
        assertThatThrownBy(() -> manager.find(backup.id())).hasMessageContaining("its archive '../" + backup.manifest().files().archive() + "'");
        tamper(backup, m -> m.put("archive", backup.manifest().files().archive()));
        // lists a verify or restore would walk: missing, they are refused by name, not a NullPointerException
        tamper(backup, m -> m.remove("tables"));
        assertThatThrownBy(() -> manager.find(backup.id())).hasMessageContaining("holds data but lists no tables");
        tamper(backup, m -> m.remove("files"));
        assertThatThrownBy(() -> manager.find(backup.id())).hasMessageContaining("is not a complete manifest");
    }

    @Test
    void aGlobalsFileThatStartsAShellCommandIsRefusedBeforeAnythingRuns() throws Exception {
        BackupManager manager = manager("bang", b -> b.globals(true));
        BackupInfo backup = manager.backup();
        Path marker = marker("pwned-bang");
        String globals = Files.readString(backup.manifestPath().resolveSibling(backup.manifest().files().globals()));
        replaceListedFile(backup, backup.manifest().files().globals(), globals + "\n\\! touch " + marker + "\n");

        assertThatThrownBy(() -> manager.restore(backup.path(), RestoreOptions.builder().targetDatabase("never_created").globals(true).build()))
                .isInstanceOf(BackupException.class)
                .hasMessageContaining("has the psql meta-command \\! on line")
                .hasMessageContaining("only \\connect, \\restrict and \\unrestrict");
        assertThat(marker).doesNotExist();
        assertThat(BackupTesting.databaseExists(CLUSTER.cluster(), "never_created")).isFalse();
    }

    @Test
    void aShellCommandInsideALineOrServerSideSqlIsRefusedBeforeAnythingRuns() throws Exception {
        BackupManager manager = manager("inline", b -> b.globals(true));
        BackupInfo backup = manager.backup();
        Path marker = marker("pwned-inline");
        String original = Files.readString(backup.manifestPath().resolveSibling(backup.manifest().files().globals()));
        List<String> attacks = List.of(
                // a meta-command after SQL on one line: psql would run it, the line check alone does not see it
                original.replace("SET client_encoding = 'UTF8';", "SET client_encoding = 'UTF8'; \\! touch " + marker),
                // SQL that runs a program on the server as its OS user
                original + "\nCOPY (SELECT 1) TO PROGRAM 'touch " + marker + "';\n",
                // the same hidden from a naive split by an escape string
                original + "\nCOMMENT ON ROLE postgres IS E'\\''; COPY (SELECT 1) TO PROGRAM 'touch " + marker + "'; -- ';\n");
        List<String> expected = List.of("has a backslash outside an accepted meta-command line on line",
                "has a statement starting COPY on line", "has a backslash inside a quoted string or name on line");
        for (int i = 0; i < attacks.size(); i++) {
            replaceListedFile(backup, backup.manifest().files().globals(), attacks.get(i));
            assertThatThrownBy(() -> manager.restore(backup.path(), RestoreOptions.builder().targetDatabase("never_created").globals(true)
                    .build()))
                    .isInstanceOf(BackupException.class)
                    .hasMessageContaining(expected.get(i))
                    .hasMessageContaining("a globals file may hold only what pg_dumpall --globals-only writes");
            assertThat(BackupTesting.databaseExists(CLUSTER.cluster(), "never_created")).isFalse();
        }
        assertThat(marker).doesNotExist();
    }

    @Test
    void psqlRunsTheFileRestrictedSoAMetaCommandTheChecksMissedStillDoesNotRun() throws Exception {
        // the second layer on its own: the checks are bypassed and the file goes straight to the real psql
        Path marker = marker("pwned-restricted");
        String text = "\\restrict dumpkey\nSELECT 1; \\! touch " + marker + "\n\\! touch " + marker + "\n\\unrestrict dumpkey\n"
                + "\\! touch " + marker + "\n";
        Path bin = Path.of(BackupTesting.run(null, List.of("pg_config", "--bindir")).strip());
        ClientTools tools = new ClientTools(bin, PgVersion.parseToolOutput(BackupTesting.run(null, List.of(bin.resolve("psql").toString(),
                "--version"))));
        try (GlobalsScript script = GlobalsScript.unchecked(text.getBytes(StandardCharsets.UTF_8))) {
            String output = BackupTesting.run(CLUSTER.cluster(), script.command(tools, "dbname=postgres"));
            List<String> errors = script.errors(output.lines().toList());
            assertThat(errors).hasSize(5).allSatisfy(e -> assertThat(e).containsAnyOf("backslash commands are restricted",
                    "\\unrestrict: wrong key"));
            assertThat(errors.get(1)).startsWith("line 2: error: backslash commands are restricted; only \\unrestrict is allowed")
                    .endsWith("(a meta-command in the globals file was refused, not run)");
        }
        assertThat(marker).as("psql ran no shell command").doesNotExist();
    }

    @Test
    void psqlWithoutRestrictIsRefusedForGlobalsNamingTheVersionNeeded() {
        // this machine's psql has \restrict (the tests above run it); older ones are refused on their version
        PgVersion installed = PgVersion.parseToolOutput(BackupTesting.run(null, List.of("psql", "--version")));
        GlobalsScript.requireRestrict(installed, "psql " + installed.text());
        for (String ok : List.of("13.22", "14.19", "15.14", "16.10", "17.6", "18.0", "18.1")) {
            GlobalsScript.requireRestrict(PgVersion.parseVersionText(ok), "psql " + ok);
        }
        assertThatThrownBy(() -> GlobalsScript.requireRestrict(PgVersion.parseVersionText("15.13"), "psql 15.13 in /opt/pg15/bin"))
                .hasMessageContaining("restoring a globals file needs psql 15.14 or newer, not psql 15.13 in /opt/pg15/bin")
                .hasMessageContaining("postgresql-client-15");
        assertThatThrownBy(() -> GlobalsScript.requireRestrict(PgVersion.parseVersionText("17.5"), "psql 17.5"))
                .hasMessageContaining("needs psql 17.6 or newer");
        assertThatThrownBy(() -> GlobalsScript.requireRestrict(PgVersion.parseVersionText("12.22"), "psql 12.22"))
                .hasMessageContaining("needs psql 13.22, 14.19, 15.14, 16.10, 17.6 or newer");
    }

    @Test
    void cleanupDeletesNothingOutsideTheBackupFolderWhateverAManifestOrALinkSays() throws Exception {
        Path victim = Files.createDirectories(tmp.resolve("victim"));
        Files.writeString(victim.resolve("precious.txt"), "keep me");
        BackupManager manager = manager("retention", b -> b.format(BackupFormat.DIRECTORY).minKeep(1).retentionDays(1));
        BackupInfo old = manager.backup();
        Thread.sleep(1100); // ids are per second
        BackupInfo kept = manager.backup();
        BackupInfo third;
        Thread.sleep(1100);
        third = manager.backup();

        // a manifest pointing its archive at the victim folder, and a link inside an archive folder pointing at it
        tamper(old, m -> m.put("archive", "../../victim"));
        Files.createSymbolicLink(third.path().resolve("link-to-victim"), victim);
        Files.createSymbolicLink(BackupTesting.folder(tmp, "retention").resolve("zz.manifest.json"), victim.resolve("precious.txt"));
        // make the third one the oldest, so that retention deletes it (and its link) but keeps `kept`
        tamper(third, m -> m.put("started_at", "2020-01-01T00:00:00Z").put("finished_at", "2020-01-01T00:00:01Z"));

        BackupManager later = BackupManager.builder(db, manager.config()).clock(Clock.offset(Clock.systemUTC(), Duration.ofDays(3))).build();
        RetentionPlan plan = later.cleanupOldBackups();

        assertThat(plan.deleted()).extracting(BackupInfo::id).containsExactly(third.id());
        assertThat(third.path()).doesNotExist();
        assertThat(victim.resolve("precious.txt")).hasContent("keep me");
        assertThat(later.listBackups()).extracting(BackupInfo::id).containsExactly(kept.id());
        assertThatThrownBy(() -> later.find(old.id())).hasMessageContaining("its archive '../../victim' is not " + old.id() + ".dir");
    }

    @Test
    void linksInABackupAreNeitherHashedNorFollowed() throws Exception {
        BackupManager manager = manager("links", b -> b.format(BackupFormat.DIRECTORY));
        BackupInfo backup = manager.backup();
        Path data;
        try (Stream<Path> files = Files.list(backup.path())) {
            data = files.filter(p -> p.getFileName().toString().endsWith(".dat.gz")).findFirst().orElseThrow();
        }
        // the same bytes, but through a link: a link is refused even when its target would match
        Path elsewhere = Files.copy(data, tmp.resolve("elsewhere.dat.gz"));
        Files.delete(data);
        Files.createSymbolicLink(data, elsewhere);

        assertThatThrownBy(() -> manager.verifyBackup(backup.path(), VerifyLevel.CHECKSUMS))
                .isInstanceOf(BackupVerificationException.class)
                .hasMessageContaining(backup.path().getFileName() + "/" + data.getFileName() + " is a symbolic link (links in a backup "
                        + "folder are not followed)");
    }

    @Test
    void aLinkPlantedAsTheLockFileIsNotWrittenThrough() throws Exception {
        Path dir = BackupTesting.folder(tmp, "lock");
        Path victim = Files.writeString(tmp.resolve("victim.conf"), "important=1\n");
        Files.createSymbolicLink(dir.resolve("." + SOURCE + ".lock"), victim);
        BackupManager manager = manager("lock", b -> { });

        assertThatThrownBy(manager::backup).isInstanceOf(BackupException.class)
                .hasMessageContaining("cannot open the backup lock file " + dir.resolve("." + SOURCE + ".lock"))
                .hasMessageContaining("it is a symbolic link, which is not followed; remove it");
        assertThat(victim).hasContent("important=1");
    }

    @Test
    void aBackupFolderOthersMayWriteIsRefusedAndANewOneIsMadePrivate() throws Exception {
        Path shared = BackupTesting.folder(tmp, "shared");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> BackupManager.create(db, BackupConfig.builder().backupDir(shared).build()))
                .isInstanceOf(BackupException.class)
                .hasMessageContaining("the backup folder " + shared + " (BACKUP_DIR) is writable by others (mode rwxrwxrwx)")
                .hasMessageContaining("chmod go-w " + shared);
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwx---"));
        assertThatThrownBy(() -> BackupManager.create(db, BackupConfig.builder().backupDir(shared).build()))
                .hasMessageContaining("is writable by its group");

        Path fresh = tmp.resolve("fresh");
        BackupManager.create(db, BackupConfig.builder().backupDir(fresh).verifyAfterBackup(VerifyLevel.CHECKSUMS).build()).backup();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh))).isEqualTo("rwx------");
    }
}
