package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.backup.VerificationReport.Outcome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Damage that a listing misses, and the verification level that catches it. */
class BackupVerificationTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static Database db;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        BackupTesting.createDatabase(CLUSTER.cluster(), "verify");
        BackupTesting.sql(CLUSTER.cluster(), "verify",
                "CREATE TABLE events (id int PRIMARY KEY, payload text)",
                "INSERT INTO events SELECT g, 'event-payload-' || g || repeat(md5(g::text), 4) FROM generate_series(1, 30000) g",
                "CREATE TABLE small (id int)", "INSERT INTO small VALUES (1), (2), (3)");
        db = Database.open(TestDatabases.primaryOnly(CLUSTER.cluster()).database("verify").build());
    }

    @AfterAll
    static void close() {
        db.close();
    }

    private BackupManager manager(BackupConfig.Builder b) throws Exception {
        return BackupManager.create(db, b.backupDir(BackupTesting.folder(tmp, "b")).build());
    }

    private static VerificationReport failedReport(BackupManager m, Path archive, VerifyLevel level) {
        BackupVerificationException e = catchThrowableOfType(BackupVerificationException.class, () -> m.verifyBackup(archive, level));
        assertThat(e).as("verification must fail").isNotNull();
        return e.report();
    }

    /** The names of the server's databases, sorted. */
    private static List<String> databases() throws Exception {
        List<String> names = new ArrayList<>();
        try (var c = CLUSTER.cluster().primary().connect(); var s = c.createStatement();
             var rs = s.executeQuery("SELECT datname FROM pg_database ORDER BY datname")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    private static Outcome outcome(VerificationReport r, VerifyLevel level) {
        return r.checks().stream().filter(c -> c.level() == level).findFirst().orElseThrow().outcome();
    }

    @Test
    void aGoodBackupPassesEveryLevelIncludingTheRestoreDrill() throws Exception {
        BackupManager m = manager(BackupConfig.builder());
        BackupInfo b = m.backup();
        List<String> databasesBefore = databases();
        VerificationReport r = m.verifyBackup(b.path(), VerifyLevel.RESTORE_DRILL);
        assertThat(r.passed()).isTrue();
        assertThat(r.checks()).extracting(VerificationReport.Check::level).containsExactly(VerifyLevel.values());
        assertThat(r.checks().get(3).detail()).contains("row counts of 2 tables match");
        assertThat(m.find(b.id()).manifest().lifecycle().verifyLevel()).isEqualTo("restore-drill");
        // the scratch database the drill restored into and counted (the detail above) is gone: the server
        // holds exactly the databases it held before, and none of the drill's name
        assertThat(databases()).as("databases after the drill").containsExactlyElementsOf(databasesBefore)
                .noneMatch(name -> name.startsWith("fortress_verify_"));
    }

    @Test
    void verifyingAndRestoringTellTheirListenerButLeaveNoBackupRunning() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BackupManager m = BackupManager.builder(db, BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "b")).verifyAfterBackup(null)
                .build()).meterRegistry(registry).build();
        BackupInfo b = m.backup();
        assertThat(m.stats().running()).isEmpty();
        List<BackupProgress> seen = Collections.synchronizedList(new ArrayList<>());

        m.verifyBackup(b.path(), VerifyLevel.FULL_READ, seen::add);
        assertThat(seen).extracting(BackupProgress::phase).contains(BackupPhase.VERIFYING);
        assertThat(m.stats().running()).isEmpty();
        assertThat(registry.get("fortress.backup.running").gauge().value()).isZero();

        m.restore(b.path(), RestoreOptions.builder().targetDatabase("verify_restored").build(), seen::add);
        assertThat(seen).extracting(BackupProgress::phase).contains(BackupPhase.RESTORING);
        assertThat(m.stats().running()).isEmpty();
        assertThat(registry.get("fortress.backup.running").gauge().value()).isZero();
        assertThat(m.stats().successes()).isEqualTo(1);
        BackupTesting.dropDatabase(CLUSTER.cluster(), "verify_restored");
    }

    @ParameterizedTest(name = "truncated to {0}")
    @ValueSource(strings = {"1 byte", "header", "half"})
    void truncationFailsChecksumsAndTheFullRead(String where) throws Exception {
        BackupManager m = manager(BackupConfig.builder().verifyAfterBackup(null));
        BackupInfo b = m.backup();
        long size = Files.size(b.path());
        long keep = switch (where) {
            case "1 byte" -> 1;
            case "header" -> 40;
            default -> size / 2;
        };
        try (RandomAccessFile f = new RandomAccessFile(b.path().toFile(), "rw")) {
            f.setLength(keep);
        }
        VerificationReport r = failedReport(m, b.path(), VerifyLevel.FULL_READ);
        assertThat(outcome(r, VerifyLevel.CHECKSUMS)).isEqualTo(Outcome.FAILED);
        assertThat(r.checks().get(0).detail()).contains("has " + keep + " bytes, the manifest says " + size);
        assertThat(outcome(r, VerifyLevel.FULL_READ)).isEqualTo(Outcome.FAILED);
        if (where.equals("half")) {
            // A listing reads only the table of contents: it does not notice the missing half (why it is not verification).
            assertThat(outcome(r, VerifyLevel.CONTENTS)).isEqualTo(Outcome.PASSED);
        }
        assertThat(m.find(b.id()).status()).isEqualTo(BackupStatus.CORRUPT);
    }

    @Test
    void aBitFlipInCompressedDataFailsChecksumsAndTheFullRead() throws Exception {
        BackupManager m = manager(BackupConfig.builder().verifyAfterBackup(null));
        BackupInfo b = m.backup();
        long size = Files.size(b.path());
        flip(b.path(), size * 2 / 3);
        VerificationReport r = failedReport(m, b.path(), VerifyLevel.FULL_READ);
        assertThat(outcome(r, VerifyLevel.CHECKSUMS)).isEqualTo(Outcome.FAILED);
        assertThat(r.checks().get(0).detail()).contains("SHA-256");
        assertThat(outcome(r, VerifyLevel.FULL_READ)).isEqualTo(Outcome.FAILED);
    }

    @Test
    void aBitFlipInUncompressedDataIsCaughtOnlyByChecksums() throws Exception {
        BackupManager m = manager(BackupConfig.builder().compression(false).verifyAfterBackup(null));
        BackupInfo b = m.backup();
        byte[] bytes = Files.readAllBytes(b.path());
        int at = indexOf(bytes, "event-payload-15000".getBytes(StandardCharsets.US_ASCII));
        assertThat(at).isPositive();
        flip(b.path(), at + 2);
        VerificationReport r = failedReport(m, b.path(), VerifyLevel.FULL_READ);
        assertThat(outcome(r, VerifyLevel.CHECKSUMS)).isEqualTo(Outcome.FAILED);
        assertThat(outcome(r, VerifyLevel.CONTENTS)).isEqualTo(Outcome.PASSED);
        assertThat(outcome(r, VerifyLevel.FULL_READ)).as("pg_restore cannot see a flipped byte in uncompressed data").isEqualTo(Outcome.PASSED);
    }

    @ParameterizedTest(name = "directory archive with {0}")
    @ValueSource(strings = {"a data file deleted", "a data file emptied", "an extra file", "toc.dat deleted"})
    void damagedDirectoryArchivesFailWithTheFileNamed(String damage) throws Exception {
        BackupManager m = manager(BackupConfig.builder().format(BackupFormat.DIRECTORY).verifyAfterBackup(null));
        BackupInfo b = m.backup();
        Path dataFile;
        try (Stream<Path> files = Files.list(b.path())) {
            dataFile = files.filter(p -> p.getFileName().toString().endsWith(".dat.gz"))
                    .max((x, y) -> Long.compare(x.toFile().length(), y.toFile().length())).orElseThrow();
        }
        String name;
        switch (damage) {
            case "a data file deleted" -> { Files.delete(dataFile); name = dataFile.getFileName() + " is missing"; }
            case "a data file emptied" -> { Files.write(dataFile, new byte[0]); name = dataFile.getFileName() + " has 0 bytes"; }
            case "an extra file" -> { Files.writeString(b.path().resolve("9999.dat.gz"), "x"); name = "9999.dat.gz is not in the manifest"; }
            default -> { Files.delete(b.path().resolve("toc.dat")); name = "toc.dat is missing"; }
        }
        VerificationReport r = failedReport(m, b.path(), VerifyLevel.FULL_READ);
        assertThat(outcome(r, VerifyLevel.CHECKSUMS)).isEqualTo(Outcome.FAILED);
        assertThat(r.checks().get(0).detail()).contains(name);
        if (damage.equals("an extra file") || damage.equals("a data file emptied")) {
            // pg_restore reads an empty data file as a table without rows: only the checksums see the loss
            assertThat(outcome(r, VerifyLevel.FULL_READ)).isEqualTo(Outcome.PASSED);
        } else {
            assertThat(outcome(r, VerifyLevel.FULL_READ)).isEqualTo(Outcome.FAILED);
        }
    }

    @Test
    void theDrillFailsWhenRestoredRowsDifferFromTheManifest() throws Exception {
        BackupManager m = manager(BackupConfig.builder());
        BackupInfo b = m.backup();
        String manifest = Files.readString(b.manifestPath());
        Files.writeString(b.manifestPath(), manifest.replace("\"rows\" : 3", "\"rows\" : 4"));
        VerificationReport r = failedReport(m, b.path(), VerifyLevel.RESTORE_DRILL);
        assertThat(outcome(r, VerifyLevel.RESTORE_DRILL)).isEqualTo(Outcome.FAILED);
        assertThat(r.checks().get(3).detail()).contains("table public.small has 3 rows after the restore, the manifest says 4");
        assertThat(r.toJson()).contains("\"passed\" : false").contains("\"level\" : \"restore-drill\"");
    }

    @Test
    void restoreRefusesABackupWhoseChecksumsDoNotMatch() throws Exception {
        BackupManager m = manager(BackupConfig.builder().verifyAfterBackup(null));
        BackupInfo b = m.backup();
        flip(b.path(), Files.size(b.path()) / 2);
        BackupVerificationException e = catchThrowableOfType(BackupVerificationException.class,
                () -> m.restore(b.path(), RestoreOptions.builder().targetDatabase("never").build()));
        assertThat(e).isNotNull();
        assertThat(BackupTesting.databaseExists(CLUSTER.cluster(), "never")).isFalse();
    }

    private static void flip(Path file, long offset) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x01);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

}
