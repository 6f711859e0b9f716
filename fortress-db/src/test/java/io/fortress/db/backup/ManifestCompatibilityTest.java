package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup written by v0.1.0 (test resources backup/v0.1.0: a pg_dump archive of two tables and the
 * manifest that release wrote beside it, unchanged but for the port) is still listed with its
 * sections read right, verified up to a restore drill, restored, and its manifest rewritten in the
 * same layout.
 */
class ManifestCompatibilityTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final String ID = "ledger_20261207_194736";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Database db;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() {
        BackupTesting.createDatabase(CLUSTER.cluster(), "compat");
        db = Database.open(TestDatabases.primaryOnly(CLUSTER.cluster()).database("compat").build());
    }

    @AfterAll
    static void close() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aBackupOfVersion010IsReadVerifiedAndRestored() throws Exception {
        Path dir = BackupTesting.folder(tmp, "old");
        for (String name : List.of(ID + ".dump", ID + ".manifest.json")) {
            try (InputStream in = ManifestCompatibilityTest.class.getResourceAsStream("/backup/v0.1.0/" + name)) {
                Files.copy(in, dir.resolve(name));
            }
        }
        JsonNode written = JSON.readTree(dir.resolve(ID + ".manifest.json").toFile());
        BackupManager manager = BackupManager.create(db, BackupConfig.builder().backupDir(dir).build());

        List<BackupInfo> listed = manager.listAllBackups();
        assertThat(listed).extracting(BackupInfo::id).containsExactly(ID);
        BackupInfo old = listed.get(0);
        BackupManifest m = old.manifest();
        assertThat(m.database()).isEqualTo("ledger");
        assertThat(old.format()).isEqualTo(BackupFormat.CUSTOM);
        assertThat(m.contents().tables()).containsExactly(new BackupManifest.TableEntry("credits", "accounts", 25L),
                new BackupManifest.TableEntry("public", "notes", 3L));
        assertThat(m.contents().rowCountsExact()).isTrue();
        assertThat(m.contents().tocEntries()).isEqualTo(11);
        assertThat(m.source().serverVersionNum()).isEqualTo(150018);
        assertThat(m.source().pgDumpPath()).endsWith("/pg_dump");
        assertThat(m.source().startedAt()).isEqualTo("2026-12-07T19:47:36.049613263Z");
        assertThat(m.files().archive()).isEqualTo(ID + ".dump");
        assertThat(m.files().globals()).isNull();
        assertThat(m.files().entries()).singleElement().satisfies(f -> {
            assertThat(f.path()).isEqualTo(ID + ".dump");
            assertThat(f.sizeBytes()).isEqualTo(Files.size(old.path()));
        });
        assertThat(m.lifecycle().status()).isEqualTo(BackupStatus.VERIFIED);
        assertThat(m.lifecycle().verifyLevel()).isEqualTo("full-read");
        assertThat(m.lifecycle().pinned()).isTrue();
        assertThat(m.uploaded()).isFalse();

        // the drill restores into a scratch database and compares the row counts with the old manifest's
        VerificationReport report = manager.verifyBackup(old.path(), VerifyLevel.RESTORE_DRILL);
        assertThat(report.passed()).isTrue();
        assertThat(manager.find(ID).manifest().lifecycle().verifyLevel()).isEqualTo("restore-drill");

        RestoreResult restored = manager.restore(old.path(), RestoreOptions.builder().targetDatabase("ledger_from_010").build());
        assertThat(restored.createdDatabase()).isTrue();
        assertThat(BackupTesting.rowCounts(CLUSTER.cluster(), "ledger_from_010"))
                .isEqualTo(Map.of("credits.accounts", 25L, "public.notes", 3L));
        BackupTesting.dropDatabase(CLUSTER.cluster(), "ledger_from_010");

        // rewritten after the verification: the same fields, only the lifecycle's values changed
        JsonNode rewritten = JSON.readTree(dir.resolve(ID + ".manifest.json").toFile());
        assertThat(fieldNames(rewritten)).isEqualTo(fieldNames(written));
        for (String field : fieldNames(written)) {
            if (!List.of("verified_at", "verify_level").contains(field)) {
                assertThat(rewritten.get(field)).as(field).isEqualTo(written.get(field));
            }
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
