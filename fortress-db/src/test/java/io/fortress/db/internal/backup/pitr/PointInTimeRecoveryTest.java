package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real pgBackRest on a real primary and streaming standby: archiving set up, base backups taken from the
 * standby into an encrypted local repository, and restores into new servers on free ports, to a moment
 * just before a DROP TABLE and to the end of the archive, checked against a writer's acknowledged commits.
 */
@RequiresTool(Tool.PGBACKREST)
class PointInTimeRecoveryTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(1);
    private static Path work;
    private static PitrEngine engine;
    private static Connector connector;
    private static BaseBackup firstBackup;

    @BeforeAll
    static void setUp() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        work = PitrTesting.workFolder("fortress-pitr-");
        PgBackRestSettings settings = PitrTesting.settings(cluster, work.resolve("pgbackrest"), "main").build();
        connector = PitrTesting.connector(cluster);
        engine = new PitrEngine(new PgBackRest(settings, PgBackRest.locate()), connector, cluster.binaries().binDir(), Duration.ofMinutes(5));
        boolean restarted = engine.archiving().enable(cluster.primary()::restart);
        assertThat(restarted).as("archive_mode was off, so the primary was restarted").isTrue();
        cluster.awaitStreaming(cluster.replica(1), Duration.ofSeconds(60));
        cluster.primary().execute("CREATE TABLE victim AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g");
        firstBackup = engine.backup(BaseBackupType.FULL, OptionalInt.empty());
    }

    @AfterAll
    static void tearDown() {
        if (work != null) {
            PitrTesting.deleteTree(work);
        }
    }

    @Test
    void aDroppedTableComesBackWithEveryCommitAcknowledgedBeforeTheTargetAndNoneAfter() throws Exception {
        int port = CLUSTER.cluster().primary().port();
        Instant target;
        List<CommitLedger.Commit> commits;
        try (CommitLedger ledger = CommitLedger.start(connector, port)) {
            // the target is taken after 150 acknowledged commits, the drop at least 300 ms and 150 commits later:
            // both sides hold enough commits however fast or slow the writer runs on a busy machine
            awaitCommits(ledger, 150);
            target = Instant.now();
            awaitCommits(ledger, ledger.size() + 150);
            Thread.sleep(300);
            CLUSTER.cluster().primary().execute("DROP TABLE victim");
            int atDrop = ledger.size();
            awaitCommits(ledger, atDrop + 200);
            commits = ledger.commits();
        }
        Path restored = work.resolve("restored-before-drop");
        try (RestoredServer server = engine.restore(RestoreTarget.time(target), restored, OptionalInt.empty(), true, true)) {
            assertThat(server.port()).isNotEqualTo(port);
            assertThat(count(server.port(), "SELECT count(*) FROM victim")).as("the dropped table is back, whole").isEqualTo(5000);
            Set<Long> present = CommitLedger.idsOn(connector, server.port());
            List<Long> ackedBefore = commits.stream().filter(c -> c.acknowledged().isBefore(target)).map(CommitLedger.Commit::id).toList();
            List<Long> sentAfter = commits.stream().filter(c -> c.sent().isAfter(target)).map(CommitLedger.Commit::id).toList();
            assertThat(ackedBefore).as("commits acknowledged before the target").hasSizeGreaterThan(100);
            assertThat(sentAfter).as("commits sent after the target").hasSizeGreaterThan(100);
            assertThat(present).as("every commit acknowledged before the target").containsAll(ackedBefore);
            assertThat(present).as("no commit sent after the target").doesNotContainAnyElementsOf(sentAfter);
            assertThat(count(server.port(), "SELECT count(*) FROM pg_settings WHERE name = 'archive_mode' AND setting = 'off'"))
                    .as("the restored server does not archive into the stanza").isEqualTo(1);
        } finally {
            PitrTesting.deleteTree(restored);
        }
        CLUSTER.cluster().primary().execute("CREATE TABLE IF NOT EXISTS victim AS SELECT g AS id FROM generate_series(1, 10) g");
    }

    @Test
    void aLatestRestoreHoldsEveryCommitAcknowledgedBeforeIt() throws Exception {
        int port = CLUSTER.cluster().primary().port();
        List<CommitLedger.Commit> commits;
        try (CommitLedger ledger = CommitLedger.start(connector, port)) {
            awaitCommits(ledger, 300);
            commits = ledger.commits();
        }
        Path restored = work.resolve("restored-latest");
        try (RestoredServer server = engine.restore(RestoreTarget.latest(), restored, OptionalInt.of(1), true, true)) {
            Set<Long> present = CommitLedger.idsOn(connector, server.port());
            assertThat(present).containsAll(commits.stream().map(CommitLedger.Commit::id).toList());
            try (Connection c = connector.open(server.port()); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE written_after_restore (x int)"); // promoted: it takes writes
            }
        } finally {
            PitrTesting.deleteTree(restored);
        }
    }

    @Test
    void anIncrementalBackupIsTakenFromTheStandby() throws Exception {
        BaseBackup incremental = engine.backup(BaseBackupType.INCR, OptionalInt.empty());
        assertThat(incremental.type()).isEqualTo("incr");
        assertThat(incremental.prior()).isPresent();
        assertThat(incremental.label()).startsWith(firstBackup.label().substring(0, 16));
        String log = Files.readString(engine.pgbackrest().settings().logPath().resolve("main-backup.log"));
        assertThat(log).as("pgBackRest's backup log").contains("replay on the standby");
    }

    @Test
    void infoGivesTheBackupsAndTheRestorableWindow() {
        String lsnBefore = CLUSTER.cluster().primary().queryValue("SELECT pg_current_wal_lsn()");
        engine.archiveMonitor().switchAndAwaitArchived(Duration.ofSeconds(60));
        BackupInventory inventory = engine.info();
        assertThat(inventory.statusCode()).as(inventory.statusMessage()).isZero();
        assertThat(inventory.backups()).extracting(BaseBackup::label).contains(firstBackup.label());
        BaseBackup full = inventory.backups().get(0);
        assertThat(full.type()).isEqualTo("full");
        assertThat(full.size()).isPositive();
        assertThat(full.repositorySize()).isPositive().isLessThan(full.size() * 2);
        assertThat(full.stopped()).isAfterOrEqualTo(full.started());
        assertThat(io.fortress.db.internal.Lsn.parse(full.lsnStop())).isGreaterThanOrEqualTo(io.fortress.db.internal.Lsn.parse(full.lsnStart()));
        assertThat(inventory.restorableFrom()).contains(full.stopped());
        assertThat(inventory.oldestWal()).isPresent();
        assertThat(io.fortress.db.internal.Lsn.parse(inventory.restorableUpToLsn().orElseThrow()))
                .as("the archive reaches past the WAL written before the switch")
                .isGreaterThanOrEqualTo(io.fortress.db.internal.Lsn.parse(lsnBefore));
    }

    @Test
    void theArchiverReportsItsState() {
        engine.archiveMonitor().switchAndAwaitArchived(Duration.ofSeconds(60));
        ArchiveStatus status = engine.archiveMonitor().status();
        assertThat(status.archivedCount()).isPositive();
        assertThat(status.failing()).isFalse();
        assertThat(status.lastArchivedAge()).hasValueSatisfying(age -> assertThat(age).isLessThan(Duration.ofMinutes(5)));
        assertThat(WalSegment.isSegment(status.currentWal())).isTrue();
    }

    @Test
    void aRestoreNeverGoesOverALiveOrNonEmptyDirectory() throws Exception {
        Path live = CLUSTER.cluster().primary().dataDirectory();
        assertThatThrownBy(() -> engine.restore(RestoreTarget.latest(), live, OptionalInt.empty(), false, true))
                .isInstanceOf(BackupException.class).hasMessageContaining("overlaps the data directory");
        Path full = work.resolve("not-empty");
        Files.createDirectories(full.resolve("something"));
        assertThatThrownBy(() -> engine.restore(RestoreTarget.latest(), full, OptionalInt.empty(), false, true))
                .isInstanceOf(BackupException.class).hasMessageContaining("not empty");
        assertThat(full.resolve("something")).isDirectory();
        assertThat(CLUSTER.cluster().primary().queryValue("SELECT 1")).isEqualTo("1");
    }

    @Test
    void theRepositoryKeyReachesNeitherArgumentsNorEnvironmentNorLogsNorErrors() throws Exception {
        String pass = PitrTesting.CIPHER_PASS.reveal();
        Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean scanning = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread scanner = new Thread(() -> {
            while (scanning.get()) {
                seen.addAll(ProcFiles.ofProcessesRunning("pgbackrest"));
            }
        });
        scanner.start();
        try {
            engine.backup(BaseBackupType.DIFF, OptionalInt.empty());
        } finally {
            scanning.set(false);
            scanner.join();
        }
        assertThat(seen).as("command lines and environments of pgbackrest processes").isNotEmpty()
                .noneMatch(text -> text.contains(pass));
        PgBackRestSettings settings = engine.pgbackrest().settings();
        assertThat(Files.getPosixFilePermissions(settings.configFile()))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        StringBuilder logs = new StringBuilder();
        try (var files = Files.list(settings.logPath())) {
            for (Path log : files.toList()) {
                logs.append(Files.readString(log));
            }
        }
        assertThat(logs.toString()).as("pgBackRest's logs").doesNotContain(pass).contains("--repo1-cipher-pass=<redacted>");

        // the same repository read with a wrong key: pgBackRest's error, named, without either key
        io.fortress.db.api.Secret wrong = io.fortress.db.api.Secret.of("a-wrong-key-of-enough-length-" + System.nanoTime());
        LocalCluster cluster = CLUSTER.cluster();
        PgBackRestSettings wrongKey = PitrTesting.settings(cluster, work.resolve("wrong-key"), "main")
                .localRepository(new LocalRepository(settings.localRepository().path(), 2, java.util.Optional.empty(), java.util.Optional.of(wrong)))
                .build();
        PgBackRestConfigFile.write(wrongKey);
        PgBackRest reader = new PgBackRest(wrongKey, PgBackRest.locate());
        BackupInventory unreadable = InfoParser.parse("main", reader.run("info", List.of("--output=json"), Duration.ofMinutes(1)).stdout());
        assertThat(unreadable.statusCode()).as(unreadable.statusMessage()).isNotZero();
        assertThat(unreadable.statusMessage()).contains("repo1: ").doesNotContain(pass).doesNotContain(wrong.reveal());
        assertThatThrownBy(() -> reader.run("check", List.of(), Duration.ofMinutes(3)))
                .isInstanceOf(PgBackRestFailure.class)
                .hasMessageContaining("pgbackrest check for stanza main failed with exit code")
                .hasMessageContaining("ERROR: [")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(pass).doesNotContain(wrong.reveal()))
                .satisfies(e -> assertThat(((PgBackRestFailure) e).errorCode()).isPresent());
    }

    @Test
    void verifyNamesATamperedBackupFile() throws Exception {
        assertThat(engine.verify()).as("the intact repository").isEqualTo(new VerifyResult(true, List.of()));
        Path backupDir = engine.pgbackrest().settings().localRepository().path().resolve("backup/main").resolve(firstBackup.label());
        Path victim;
        try (var files = Files.walk(backupDir.resolve("pg_data"))) {
            victim = files.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().startsWith("PG_VERSION")).findFirst().orElseThrow();
        }
        byte[] original = Files.readAllBytes(victim);
        byte[] tampered = original.clone();
        tampered[tampered.length - 1] ^= 0x55;
        Files.write(victim, tampered);
        try {
            VerifyResult result = engine.verify();
            assertThat(result.ok()).isFalse();
            assertThat(result.problems()).contains("INFO: invalid checksum '" + firstBackup.label() + "/pg_data/" + victim.getFileName() + "'")
                    .anyMatch(l -> l.contains("status: invalid"));
        } finally {
            Files.write(victim, original);
        }
        assertThat(engine.verify().ok()).isTrue();
    }

    @Test
    void aCommandPastItsTimeLimitIsEndedAndSaysSo() throws Exception {
        String config = "--config=" + engine.pgbackrest().settings().configFile();
        assertThatThrownBy(() -> engine.pgbackrest().run("info", List.of("--output=json"), Duration.ofMillis(1)))
                .isInstanceOf(BackupException.class).hasMessageStartingWith("pgbackrest info did not finish within 1ms and was ended by fortress");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (ProcFiles.ofProcessesRunning(config).stream().anyMatch(l -> l.contains(" info"))) {
            assertThat(System.nanoTime()).as("the ended pgbackrest is gone").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static void awaitCommits(CommitLedger ledger, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (ledger.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the writer made only " + ledger.size() + " commits in 60 s");
            }
            Thread.sleep(20);
        }
    }

    private static long count(int port, String sql) throws Exception {
        try (Connection c = connector.open(port); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
