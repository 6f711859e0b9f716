package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The point-in-time recovery facade on a real primary and streaming standby with real pgBackRest, set up
 * from BACKUP_PITR_* settings only: archiving, a base backup from the standby into an encrypted
 * repository, the restorable window, the archiver's state, and a restore to a moment before a DROP
 * TABLE into a separate server.
 */
@RequiresTool(Tool.PGBACKREST)
class PointInTimeTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(1);
    private static final String PASSPHRASE = "facade-passphrase-" + java.util.UUID.randomUUID();
    private static Path work;
    private static Database db;
    private static PointInTime pitr;
    private static final io.micrometer.core.instrument.simple.SimpleMeterRegistry METERS =
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    private static BackupManager manager;

    @BeforeAll
    static void setUp() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        work = PitrTests.workFolder("fortress-pitr-facade-");
        Path key = work.resolve("pitr.key");
        Files.writeString(key, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        db = Database.open(TestDatabases.primaryOnly(cluster).build());
        BackupConfig config = BackupConfig.builder().backupDir(work.resolve("dumps")).pitr(true).pitrRepoPath(work.resolve("repo"))
                .pitrWorkDir(work.resolve("pgbackrest")).pitrCipherKeyFile(key)
                .pitrStandbyDir(cluster.replica(1).dataDirectory()).pitrStandbyPort(cluster.replica(1).port()).build();
        manager = BackupManager.builder(db, config).meterRegistry(METERS).build();
        pitr = manager.pointInTime();
        assertThat(pitr.setUpArchiving(cluster.primary()::restart)).as("archive_mode was off: the primary restarted").isTrue();
        cluster.awaitStreaming(cluster.replica(1), Duration.ofSeconds(60));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (db != null) {
            db.close();
        }
        if (work != null) {
            PitrTests.deleteTree(work);
        }
    }

    @Test
    void aBaseBackupFromTheStandbyOpensARestorableWindowAndADroppedTableComesBack() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE TABLE victim AS SELECT g AS id FROM generate_series(1, 1000) g");
        BaseBackupInfo full = pitr.backup(BaseBackupType.FULL);
        assertThat(full.type()).isEqualTo(BaseBackupType.FULL);
        assertThat(full.size()).isPositive();
        assertThat(Files.readString(work.resolve("pgbackrest/log/main-backup.log"))).as("pgBackRest's backup log")
                .contains("replay on the standby");

        cluster.primary().execute("INSERT INTO victim SELECT g FROM generate_series(1001, 1500) g");
        Thread.sleep(1200);
        Instant beforeDrop = Instant.now();
        Thread.sleep(1200);
        cluster.primary().execute("DROP TABLE victim");

        BaseBackups window = pitr.list();
        assertThat(window.backups()).extracting(BaseBackupInfo::label).contains(full.label());
        assertThat(window.restorableFrom()).hasValueSatisfying(from -> assertThat(from).isBefore(beforeDrop));
        assertThat(window.restorableToLsn()).isPresent();
        ArchiveState archive = pitr.archiveState();
        assertThat(archive.archivedCount()).isPositive();
        assertThat(archive.failing()).isFalse();
        assertThat(archive.lastArchivedAge()).isPresent();

        Path restored = work.resolve("restored");
        try (RestoredCluster server = pitr.restore(RecoveryTarget.time(beforeDrop), restored, false)) {
            assertThat(server.port()).isNotEqualTo(cluster.primary().port());
            assertThat(server.dataDirectory()).isEqualTo(restored);
            assertThat(PitrTests.count(cluster, server.port(), "SELECT count(*) FROM victim")).as("the dropped table, with the rows inserted before").isEqualTo(1500);
        }
        assertThat(PitrTests.count(cluster, cluster.primary().port(), "SELECT count(*) FROM pg_class WHERE relname = 'victim'"))
                .as("the running cluster is not touched").isZero();
    }

    @Test
    void aDrillRestoresTheLatestPointComparesEveryQuietTableAndRemovesItsServer() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        // an unlogged table is not in the WAL and restores empty: the drill leaves it out rather than call it lost
        cluster.primary().execute("CREATE TABLE drill_quiet AS SELECT g AS id FROM generate_series(1, 700) g; CREATE TABLE drill_busy(id serial); "
                + "CREATE UNLOGGED TABLE drill_scratch AS SELECT g AS id FROM generate_series(1, 10) g");
        pitr.backup(BaseBackupType.FULL); // the drill restores the newest base backup
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            while (writing.get()) {
                db.exec("INSERT INTO drill_busy DEFAULT VALUES");
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        writer.start();
        RestoreDrillReport report;
        try {
            report = pitr.drill();
        } finally {
            writing.set(false);
            writer.join();
        }
        assertThat(report.problems()).isEmpty();
        assertThat(report.passed()).isTrue();
        assertThat(report.written()).as("a table written during the drill is not compared").contains("public.drill_busy");
        assertThat(report.compared()).as("the quiet table, and those of the other tests").isPositive();
        assertThat(report.restoreTime()).isPositive();
        assertThat(report.restoredUpTo()).as("the writer's inserts were replayed").isPresent();
        assertThat(report.bytesBehind()).as("at most what the writer added after the drill pushed WAL into the archive").isLessThan(16L << 20);
        assertThat(pitr.lastDrill()).contains(report);
        assertThat(METERS.get("fortress.pitr.last.drill.success").gauge().value()).isEqualTo(1.0);
        assertThat(METERS.get("fortress.pitr.last.drill.restore").gauge().value()).isPositive();
        try (var left = Files.list(work.resolve("pgbackrest"))) {
            assertThat(left.map(p -> p.getFileName().toString())).as("the drill's server folder and log are removed")
                    .noneMatch(n -> n.startsWith("drill-"));
        }

        // a base backup file altered in the repository: the drill fails, naming the file
        Path backupDir = work.resolve("repo/backup/main").resolve(pitr.list().newest().orElseThrow().label());
        Path victim;
        try (var files = Files.walk(backupDir.resolve("pg_data"))) {
            victim = files.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().startsWith("PG_VERSION")).findFirst().orElseThrow();
        }
        byte[] original = Files.readAllBytes(victim);
        byte[] tampered = original.clone();
        tampered[tampered.length / 2] ^= 0x55;
        Files.write(victim, tampered);
        try {
            RestoreDrillReport failed = pitr.drill();
            assertThat(failed.passed()).isFalse();
            assertThat(failed.problems()).as("the drill's problems").anyMatch(p -> p.startsWith("verify: ") && p.contains(victim.getFileName().toString()));
            assertThat(METERS.get("fortress.pitr.last.drill.success").gauge().value()).isZero();
        } finally {
            Files.write(victim, original);
        }
    }

    @Test
    void aRestoreToAConsistencyTokenHoldsThatWriteAndNoneAfterIt() throws Exception {
        db.exec("CREATE TABLE token_rows(id int)");
        pitr.backup(BaseBackupType.FULL);
        db.exec("INSERT INTO token_rows VALUES (1)");
        io.fortress.db.api.ConsistencyToken token = db.consistencyToken(); // what a service hands its client after the write
        db.exec("INSERT INTO token_rows VALUES (2)");
        try (RestoredCluster server = pitr.restore(RecoveryTarget.token(token), work.resolve("restored-token"), false)) {
            assertThat(PitrTests.count(CLUSTER.cluster(), server.port(), "SELECT count(*) FROM token_rows WHERE id = 1")).as("the write").isEqualTo(1);
            assertThat(PitrTests.count(CLUSTER.cluster(), server.port(), "SELECT count(*) FROM token_rows WHERE id = 2")).as("the next").isZero();
        }
    }

    @Test
    void theMetersShowTheArchiveAgeFailuresAndTheNewestBaseBackup() {
        BaseBackupInfo newest = pitr.backup(BaseBackupType.FULL); // a diff with no full before it would be promoted to full
        double age = METERS.get("fortress.pitr.last.archived.age").gauge().value();
        assertThat(age).as("the live RPO right after a backup pushed WAL").isBetween(0.0, 600.0);
        assertThat(METERS.get("fortress.pitr.archive.failures").functionCounter().count()).isZero();
        assertThat(METERS.get("fortress.pitr.archive.failing").gauge().value()).isZero();
        assertThat(METERS.get("fortress.pitr.last.base.backup.timestamp").gauge().value()).isEqualTo(newest.stopped().toEpochMilli() / 1000.0);
        assertThat(METERS.get("fortress.pitr.last.base.backup.size").gauge().value()).isEqualTo((double) newest.size());
    }

    @Test
    void theSetupTextNamesTheKeysVariableAndNeverHoldsThePassphrase() throws Exception {
        String text = pitr.setupInstructions();
        assertThat(text).contains("archive_mode = on", "archive_command = '", "archive-push %p", "PGBACKREST_REPO1_CIPHER_PASS",
                "repo1-path=" + work.resolve("repo"), "pg2-port=" + CLUSTER.cluster().replica(1).port());
        assertThat(text).doesNotContain(PASSPHRASE);
        assertThat(Files.getPosixFilePermissions(work.resolve("pgbackrest/pgbackrest.conf")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void itIsOffUnlessTurnedOnAndABadKeyFileIsRefusedNamingTheSetting() throws Exception {
        BackupManager off = BackupManager.create(db, BackupConfig.builder().backupDir(work.resolve("dumps")).build());
        assertThatThrownBy(off::pointInTime).isInstanceOf(BackupException.class).hasMessageContaining("BACKUP_PITR=true");
        Path open = work.resolve("open.key");
        Files.writeString(open, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        PointInTime badKey = BackupManager.create(db, BackupConfig.builder().backupDir(work.resolve("dumps")).pitr(true)
                .pitrRepoPath(work.resolve("repo-bad")).pitrWorkDir(work.resolve("pgbackrest-bad")).pitrCipherKeyFile(open).build())
                .pointInTime();
        assertThatThrownBy(badKey::list).isInstanceOf(BackupException.class)
                .hasMessageContaining("BACKUP_PITR_CIPHER_KEY_FILE").hasMessageContaining("chmod 600").hasMessageNotContaining(PASSPHRASE);
    }

}
