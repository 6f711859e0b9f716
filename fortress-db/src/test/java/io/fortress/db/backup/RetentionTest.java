package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.internal.backup.BackupStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Cleanup over real backups taken on different (clock) days, and what cleanup does to files. */
class RetentionTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static Database db;

    @TempDir
    Path tmp;

    /** A clock the test moves; backups are real, only their time is chosen. */
    static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant start) {
            this.now = start;
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @BeforeAll
    static void data() {
        BackupTesting.createDatabase(CLUSTER.cluster(), "kept");
        BackupTesting.sql(CLUSTER.cluster(), "kept", "CREATE TABLE t AS SELECT g FROM generate_series(1, 100) g");
        db = Database.open(TestDatabases.primaryOnly(CLUSTER.cluster()).database("kept").build());
    }

    @AfterAll
    static void close() {
        db.close();
    }

    /** Backups on days 1..n of January 2026 (ids carry those days), then the clock set to {@code now}. */
    private List<BackupInfo> backupsOnDays(BackupManager m, MovableClock clock, int n) {
        List<BackupInfo> backups = new ArrayList<>();
        for (int d = 1; d <= n; d++) {
            clock.set(Instant.parse(String.format("2026-01-%02dT02:00:00Z", d)));
            backups.add(m.backup());
        }
        return backups;
    }

    private static List<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    @Test
    void theDryRunNamesExactlyWhatTheRealRunDeletesAndModificationTimesDoNotMatter() throws Exception {
        Path dir = BackupTesting.folder(tmp, "b");
        MovableClock clock = new MovableClock(Instant.EPOCH);
        BackupManager m = BackupManager.builder(db, BackupConfig.builder().backupDir(dir).retentionDays(7).minKeep(2)
                .verifyAfterBackup(VerifyLevel.CHECKSUMS).build()).clock(clock).build();
        List<BackupInfo> backups = backupsOnDays(m, clock, 12);
        // Touching the oldest backup's files makes them look new to mtime-based tools; retention reads the manifest.
        for (Path p : List.of(backups.get(0).path(), backups.get(0).manifestPath())) {
            Files.setLastModifiedTime(p, FileTime.from(Instant.now()));
        }
        clock.set(Instant.parse("2026-01-12T12:00:00Z"));

        RetentionPlan dry = m.planCleanup();
        assertThat(dry.dryRun()).isTrue();
        List<String> oldestFive = new ArrayList<>(backups.subList(0, 5).stream().map(BackupInfo::id).toList());
        java.util.Collections.reverse(oldestFive);
        assertThat(dry.deleted()).extracting(BackupInfo::id).containsExactlyElementsOf(oldestFive);
        assertThat(dry.describe()).contains("would delete " + backups.get(0).id()).contains("older than 7 days");
        assertThat(files(dir)).hasSize(24);

        RetentionPlan real = m.cleanupOldBackups();
        assertThat(real.deleted()).extracting(BackupInfo::id).isEqualTo(dry.deleted().stream().map(BackupInfo::id).toList());
        assertThat(m.listBackups()).hasSize(7);
        assertThat(files(dir)).hasSize(14).noneMatch(n -> n.startsWith(backups.get(0).id()));
    }

    @Test
    void orderComesFromTheManifestNotTheName() throws Exception {
        Path dir = BackupTesting.folder(tmp, "names");
        MovableClock clock = new MovableClock(Instant.EPOCH);
        BackupManager m = BackupManager.builder(db, BackupConfig.builder().backupDir(dir).retentionDays(3).minKeep(1)
                .verifyAfterBackup(null).build()).clock(clock).build();
        List<BackupInfo> backups = backupsOnDays(m, clock, 3);
        // An old backup renamed under a newer-looking name (as after a naming change) is still the oldest.
        BackupInfo oldest = backups.get(0);
        String newName = "kept_20991231_235959";
        Path archive = dir.resolve(newName + ".dump");
        Files.move(oldest.path(), archive);
        ObjectNode manifest = (ObjectNode) BackupStore.JSON.readTree(oldest.manifestPath().toFile());
        manifest.put("id", newName).put("archive", newName + ".dump");
        ((ObjectNode) manifest.get("files").get(0)).put("path", newName + ".dump");
        Files.write(dir.resolve(newName + ".manifest.json"), BackupStore.JSON.writeValueAsBytes(manifest));
        Files.delete(oldest.manifestPath());
        clock.set(Instant.parse("2026-01-05T00:00:00Z"));

        assertThat(m.listBackups()).extracting(BackupInfo::id).containsExactly(backups.get(2).id(), backups.get(1).id(), newName);
        assertThat(m.cleanupOldBackups().deleted()).extracting(BackupInfo::id).containsExactly(newName);
    }

    @Test
    void aDeletionCutShortLeavesNothingListedAndIsFinishedByTheNextCleanup() throws Exception {
        Path dir = BackupTesting.folder(tmp, "cut");
        MovableClock clock = new MovableClock(Instant.EPOCH);
        BackupManager m = BackupManager.builder(db, BackupConfig.builder().backupDir(dir).verifyAfterBackup(null).build())
                .clock(clock).build();
        List<BackupInfo> backups = backupsOnDays(m, clock, 2);
        Files.delete(backups.get(0).manifestPath()); // the first half of a deletion: manifest gone, data still there
        assertThat(m.listBackups()).extracting(BackupInfo::id).containsExactly(backups.get(1).id());
        m.cleanupOldBackups();
        assertThat(files(dir)).containsExactly(backups.get(1).id() + ".dump", backups.get(1).id() + ".manifest.json");
    }

    @Test
    void pinnedBackupsOutliveTheirAge() throws Exception {
        Path dir = BackupTesting.folder(tmp, "pin");
        MovableClock clock = new MovableClock(Instant.EPOCH);
        BackupManager m = BackupManager.builder(db, BackupConfig.builder().backupDir(dir).retentionDays(1).minKeep(1)
                .verifyAfterBackup(null).build()).clock(clock).build();
        List<BackupInfo> backups = backupsOnDays(m, clock, 3);
        assertThat(m.pin(backups.get(0).path(), true).pinned()).isTrue();
        clock.set(clock.instant().plus(Duration.ofDays(30)));
        assertThat(m.cleanupOldBackups().deleted()).extracting(BackupInfo::id).containsExactly(backups.get(1).id());
        assertThat(m.listBackups()).extracting(BackupInfo::id).containsExactly(backups.get(2).id(), backups.get(0).id());
    }
}
