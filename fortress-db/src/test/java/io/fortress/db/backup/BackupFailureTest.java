package io.fortress.db.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.api.DbConfig;
import io.fortress.db.internal.backup.ConnectionEnvironment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * pg_dump killed or blocked, a second backup or a cleanup while
 * one runs, and the password's whereabouts while pg_dump runs. pg_dump is held mid-run by a real
 * ACCESS EXCLUSIVE lock that another session keeps on a table.
 */
class BackupFailureTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    /** A login whose name and password need quoting everywhere: spaces, ':', '\', '@', quotes. */
    private static final String USER = "back up";
    private static final String PASSWORD = "p@ss: w\\rd 'q' \"dq\"";
    private static Database db;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        LocalCluster cluster = CLUSTER.cluster();
        BackupTesting.sql(cluster, "postgres", "CREATE ROLE \"back up\" LOGIN SUPERUSER PASSWORD '" + PASSWORD.replace("'", "''") + "'");
        BackupTesting.createDatabase(cluster, "busy");
        BackupTesting.sql(cluster, "busy", "CREATE TABLE blocker (id int)", "CREATE TABLE data AS SELECT g AS id FROM generate_series(1, 1000) g");
        db = Database.open(config().build());
    }

    @AfterAll
    static void close() {
        db.close();
    }

    private static DbConfig.Builder config() {
        return TestDatabases.primaryOnly(CLUSTER.cluster()).database("busy").user(USER).password(PASSWORD);
    }

    private BackupManager manager(Path dir, Duration lockWait) {
        return BackupManager.create(db, BackupConfig.builder().backupDir(dir).lockWaitTimeout(lockWait).build());
    }

    /** Holds ACCESS EXCLUSIVE on busy.blocker until closed, so pg_dump waits at its LOCK TABLE. */
    private static Connection holdLock() throws Exception {
        Connection c = CLUSTER.cluster().primary().connect("busy");
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE blocker IN ACCESS EXCLUSIVE MODE");
        }
        return c;
    }

    /** The free-space preflight refuses a backup that would not fit, before anything is written. */
    @Test
    void aBackupThatWouldNotFitIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path dir = tmp.resolve("space");
        BackupInfo first = BackupManager.create(db, BackupConfig.builder().backupDir(dir).build()).backup();
        List<Path> before;
        try (Stream<Path> files = Files.list(dir)) {
            before = files.sorted().toList();
        }
        // a trillion times the last backup's size is more than any disk holds
        BackupManager greedy = BackupManager.create(db, BackupConfig.builder().backupDir(dir).freeSpaceMargin(1e12).build());
        assertThatThrownBy(greedy::backup).isInstanceOf(BackupException.class)
                .hasMessageContaining("not enough free space for a backup of database busy in " + dir)
                .hasMessageContaining("BACKUP_FREE_SPACE_MARGIN 1.0E12 times the last backup " + first.id());
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.sorted().toList()).as("nothing written, nothing removed").isEqualTo(before);
        }
        assertThat(greedy.stats().lastFailure()).hasValueSatisfying(e -> assertThat(e).contains("not enough free space"));

        BackupInfo second = BackupManager.create(db, BackupConfig.builder().backupDir(dir).build()).backup();
        assertThat(second.id()).isNotEqualTo(first.id());
    }

    /** What ended a backup expected to fail, waiting at most a minute for it (a hung run fails the test, not the build). */
    private static Throwable failureOf(CompletableFuture<BackupInfo> run) throws InterruptedException, java.util.concurrent.TimeoutException {
        try {
            BackupInfo unexpected = run.get(60, TimeUnit.SECONDS);
            throw new AssertionError("the backup was expected to fail but created " + unexpected.id());
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /**
     * The pg_dump writing a backup ({@code -f} names its output), not the {@code pg_dump --version} of the tool check
     * before it: that one ends by itself, and a test that took it for the dump would leave the dump running.
     */
    private static ProcessHandle awaitPgDump(ProcessHandle parent) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> parent.descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/pg_dump")).orElse(false))
                .filter(p -> p.info().arguments().map(a -> java.util.Arrays.asList(a).contains("-f")
                        || java.util.Arrays.stream(a).anyMatch(x -> x.startsWith("--file"))).orElse(false))
                .findFirst(), o -> o.isPresent()).get();
    }

    private static List<String> backupFiles(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".lock")).sorted().toList();
        }
    }

    @Test
    void aDumpBlockedByALockFailsAfterTheLockWaitTimeoutAndLeavesNothing() throws Exception {
        Path dir = BackupTesting.folder(tmp, "blocked");
        BackupManager m = manager(dir, Duration.ofMillis(500));
        try (Connection lock = holdLock()) {
            assertThatThrownBy(m::backup).isInstanceOf(BackupException.class)
                    .hasMessageContaining("pg_dump failed").hasMessageContaining("blocked by a lock");
        }
        assertThat(backupFiles(dir)).isEmpty();
        assertThat(m.listBackups()).isEmpty();
        assertThat(m.stats().failures()).isEqualTo(1);
    }

    @Test
    void pgDumpIsEndedOnTimeoutAndOnCancelAndLeavesNothing() throws Exception {
        Path dir = BackupTesting.folder(tmp, "ended");
        BackupManager timed = BackupManager.create(db, BackupConfig.builder().backupDir(dir).lockWaitTimeout(Duration.ZERO)
                .timeout(Duration.ofSeconds(1)).build());
        BackupManager patient = manager(dir, Duration.ZERO);
        try (Connection lock = holdLock()) {
            // the cause first, in words, then what pg_dump printed last
            assertThatThrownBy(timed::backup).hasMessageStartingWith("pg_dump ran past BACKUP_TIMEOUT (1s) and was ended by fortress; "
                    + "raise BACKUP_TIMEOUT or look for what blocks it; its last lines:\npg_dump: ")
                    .hasMessageNotContaining("terminated by user"); // fortress's own signal is not news
            assertThat(ProcessHandle.current().descendants().filter(p -> p.info().command().orElse("").endsWith("/pg_dump"))).isEmpty();

            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread worker = new Thread(() -> {
                try {
                    patient.backup();
                } catch (RuntimeException e) {
                    failure.set(e);
                }
            });
            worker.start();
            ProcessHandle pgDump = awaitPgDump(ProcessHandle.current());
            worker.interrupt();
            worker.join(30_000);
            assertThat(pgDump.isAlive()).isFalse();
            assertThat(failure.get()).hasMessageStartingWith("pg_dump was cancelled (its thread was interrupted").hasMessageContaining("ended by fortress");
        }
        assertThat(backupFiles(dir)).isEmpty();
    }

    @Test
    void aKilledPgDumpLeavesNothingListedAndNoFiles() throws Exception {
        Path dir = BackupTesting.folder(tmp, "killed");
        BackupManager m = manager(dir, Duration.ZERO);
        BackupInfo earlier = m.backup();
        try (Connection lock = holdLock()) {
            CompletableFuture<BackupInfo> run = CompletableFuture.supplyAsync(m::backup);
            ProcessHandle pgDump = awaitPgDump(ProcessHandle.current());
            assertThat(backupFiles(dir)).anySatisfy(n -> assertThat(n).endsWith(".dump.partial"));
            pgDump.destroyForcibly();
            Throwable failure = failureOf(run);
            assertThat(failure).isInstanceOf(BackupException.class)
                    .hasMessageStartingWith("pg_dump was stopped by a signal (SIGKILL) that fortress did not send; look for what signals");
            assertThat(m.stats().lastFailure()).hasValueSatisfying(f -> assertThat(f).startsWith("pg_dump was stopped by a signal (SIGKILL)"));
        }
        assertThat(m.listBackups()).extracting(BackupInfo::id).containsExactly(earlier.id());
        assertThat(backupFiles(dir)).containsExactly(earlier.id() + ".dump", earlier.id() + ".manifest.json");
    }

    /**
     * pg_dump catches SIGTERM (and SIGINT, SIGQUIT), prints "terminated by user" after its verbose progress and exits 1:
     * the message says first that a signal stopped it, and its tail is that line, not the progress before it.
     */
    @Test
    void aPgDumpStoppedBySigtermSaysSoFirstAndShowsNoProgressLines() throws Exception {
        Path dir = BackupTesting.folder(tmp, "terminated");
        BackupManager m = manager(dir, Duration.ZERO);
        try (Connection lock = holdLock()) {
            CompletableFuture<BackupInfo> run = CompletableFuture.supplyAsync(m::backup);
            ProcessHandle pgDump = awaitPgDump(ProcessHandle.current());
            // pg_dump waits at the lock once it has read the catalog (and said so in its verbose lines)
            await().atMost(Duration.ofSeconds(30)).until(() -> m.stats().running().map(p -> p.phase() == BackupPhase.DUMPING).orElse(false));
            await().atMost(Duration.ofSeconds(30)).until(() -> !CLUSTER.cluster().primary().queryValue(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '%-backup' AND wait_event_type = 'Lock'").equals("0"));
            assertThat(pgDump.destroy()).isTrue(); // SIGTERM
            Throwable failure = failureOf(run);
            assertThat(failure).isInstanceOf(BackupException.class)
                    .hasMessageStartingWith("pg_dump was stopped by a signal (SIGTERM, SIGINT or SIGQUIT: it printed \"terminated by user\" "
                            + "and exited with status 1) that fortress did not send; look for what signals processes on this machine")
                    .hasMessageEndingWith(", backing up database busy: pg_dump: terminated by user")
                    .hasMessageNotContaining("pg_dump: reading");
        }
        assertThat(backupFiles(dir)).isEmpty();
    }

    /** pg_terminate_backend() on pg_dump's session: the server ended the connection, and the message says that first. */
    @Test
    void aPgDumpWhoseSessionTheServerEndsSaysSoFirst() throws Exception {
        Path dir = BackupTesting.folder(tmp, "server-ended");
        BackupManager m = manager(dir, Duration.ZERO);
        try (Connection lock = holdLock()) {
            CompletableFuture<BackupInfo> run = CompletableFuture.supplyAsync(m::backup);
            awaitPgDump(ProcessHandle.current());
            await().atMost(Duration.ofSeconds(30)).until(() -> CLUSTER.cluster().primary().queryValue(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE '%-backup' "
                            + "AND wait_event_type = 'Lock'").equals("1"));
            Throwable failure = failureOf(run);
            assertThat(failure).isInstanceOf(BackupException.class)
                    .hasMessageStartingWith("pg_dump's connection was ended by the server (\"terminating connection due to administrator "
                            + "command\": pg_terminate_backend() by a user or a script, or a shutdown of the server) and it exited with status 1")
                    .hasMessageContaining("FATAL:  terminating connection due to administrator command")
                    .hasMessageNotContaining("pg_dump: reading");
        }
        assertThat(backupFiles(dir)).isEmpty();
    }

    @Test
    void leftoversOfAKilledProcessAreNotListedAndAreSweptByTheNextBackup() throws Exception {
        Path dir = BackupTesting.folder(tmp, "crashed");
        Path childTmp = Files.createDirectory(tmp.resolve("child-tmp"));
        Process child;
        try (Connection lock = holdLock()) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), "-Djava.io.tmpdir=" + childTmp, BackupChild.class.getName(), Integer.toString(CLUSTER.cluster().primary().port()),
                    USER, "busy", dir.toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile());
            pb.environment().put("CHILD_PASSWORD", PASSWORD);
            child = pb.start();
            try {
                ProcessHandle pgDump = awaitPgDump(child.toHandle());
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !backupFiles(dir).isEmpty());
                child.destroyForcibly(); // kill -9 of the JVM mid-dump
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the killed JVM ended").isTrue();
                pgDump.destroyForcibly(); // its orphaned pg_dump would fail at the lock anyway; end it now
                // and wait until it is gone: one still starting may create its output file after the next backup's sweep
                pgDump.onExit().get(30, TimeUnit.SECONDS);
            } finally {
                child.destroyForcibly();
            }
        }
        assertThat(backupFiles(dir)).singleElement().satisfies(n -> assertThat(n).endsWith(".dump.partial"));
        BackupManager m = manager(dir, Duration.ZERO);
        assertThat(m.listBackups()).isEmpty();
        BackupInfo next = m.backup();
        assertThat(backupFiles(dir)).containsExactly(next.id() + ".dump", next.id() + ".manifest.json");

        // the killed JVM could not delete its password file; the next JVM to write one deletes it, not a live one's
        Path leftover;
        try (Stream<Path> files = Files.list(childTmp)) {
            leftover = files.filter(f -> f.getFileName().toString().startsWith("fortress-pgpass-" + child.pid() + "-"))
                    .findFirst().orElseThrow();
        }
        assertThat(Files.getPosixFilePermissions(leftover)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Path live = Files.createFile(childTmp.resolve("fortress-pgpass-" + ProcessHandle.current().pid() + "-live"));
        assertThat(ConnectionEnvironment.sweepLeftovers(childTmp)).containsExactly(leftover);
        assertThat(live).exists();
    }

    @Test
    void aSecondBackupFailsFastAndCleanupSparesTheRunningOne() throws Exception {
        Path dir = BackupTesting.folder(tmp, "concurrent");
        BackupManager m = BackupManager.create(db, BackupConfig.builder().backupDir(dir).lockWaitTimeout(Duration.ZERO)
                .retentionDays(0).minKeep(1).build());
        BackupInfo first = m.backup();
        BackupManager other = BackupManager.create(db, BackupConfig.builder().backupDir(dir).retentionDays(1).minKeep(1).build());
        CompletableFuture<BackupInfo> running;
        try (Connection lock = holdLock()) {
            running = CompletableFuture.supplyAsync(m::backup);
            awaitPgDump(ProcessHandle.current());
            assertThatThrownBy(other::backup).isInstanceOf(BackupInProgressException.class)
                    .hasMessageContaining("another backup of database busy is running").hasMessageContaining("backup by pid");
            RetentionPlan plan = other.cleanupOldBackups();
            assertThat(plan.deleted()).isEmpty();
            assertThat(backupFiles(dir)).contains(first.id() + ".dump").anySatisfy(n -> assertThat(n).endsWith(".partial"));
        }
        BackupInfo second = running.get(60, TimeUnit.SECONDS);
        assertThat(m.listBackups()).extracting(BackupInfo::id).containsExactly(second.id(), first.id());
    }

    /** Tools installed after a failed lookup (as its message advises) are found without a restart: failed probes are not kept. */
    @Test
    void clientToolsInstalledAfterAFailedLookupAreFoundWithoutARestart() throws Exception {
        Path installed = Path.of(BackupTesting.run(null, List.of("pg_config", "--bindir")).strip());
        Path bin = Files.createDirectories(tmp.resolve("client-bin"));
        for (String tool : List.of("pg_restore", "pg_dumpall", "psql")) {
            Files.createSymbolicLink(bin.resolve(tool), installed.resolve(tool));
        }
        Files.createSymbolicLink(bin.resolve("pg_dump"), Path.of("/bin/false")); // half installed: pg_dump --version fails
        BackupManager m = BackupManager.create(db, BackupConfig.builder().backupDir(BackupTesting.folder(tmp, "later")).pgBin(bin).build());
        assertThatThrownBy(m::backup).isInstanceOf(BackupException.class)
                .hasMessageContaining("no PostgreSQL client tools").hasMessageContaining("PG_BIN=" + bin);

        Files.delete(bin.resolve("pg_dump"));
        Files.createSymbolicLink(bin.resolve("pg_dump"), installed.resolve("pg_dump"));
        assertThat(m.backup().manifest().source().pgDumpPath()).isEqualTo(bin.resolve("pg_dump").toString());
    }

    @Test
    void thePasswordIsNeverOnACommandLineInTheLogsOrTheManifest() throws Exception {
        Path dir = BackupTesting.folder(tmp, "secret");
        PrintStream originalErr = System.err;
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
        BackupInfo backup;
        try {
            BackupManager m = BackupManager.create(db, BackupConfig.builder().backupDir(dir).lockWaitTimeout(Duration.ZERO).globals(true).build());
            try (Connection lock = holdLock()) {
                CompletableFuture<BackupInfo> run = CompletableFuture.supplyAsync(m::backup);
                ProcessHandle pgDump = awaitPgDump(ProcessHandle.current());
                String cmdline = Files.readString(Path.of("/proc", Long.toString(pgDump.pid()), "cmdline")).replace('\0', ' ');
                String environ = Files.readString(Path.of("/proc", Long.toString(pgDump.pid()), "environ")).replace('\0', '\n');
                assertThat(cmdline).contains("--dbname=dbname='busy'").doesNotContain(PASSWORD).doesNotContain("p@ss");
                assertThat(environ).doesNotContain("PGPASSWORD").contains("PGUSER=back up");
                Path passFile = Path.of(environ.lines().filter(l -> l.startsWith("PGPASSFILE=")).findFirst().orElseThrow().substring(11));
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passFile))).isEqualTo("rw-------");
                lock.commit();
                backup = run.get(60, TimeUnit.SECONDS);
                assertThat(passFile).doesNotExist();
            }
            BackupTesting.sql(CLUSTER.cluster(), "postgres", "ALTER ROLE \"back up\" PASSWORD 'changed'");
            try {
                assertThatThrownBy(() -> m.restore(backup.path(), RestoreOptions.builder().targetDatabase("new one").build()))
                        .isInstanceOf(RuntimeException.class).satisfies(e -> assertThat(e.toString()).doesNotContain(PASSWORD));
            } finally {
                BackupTesting.sql(CLUSTER.cluster(), "postgres", "ALTER ROLE \"back up\" PASSWORD '" + PASSWORD.replace("'", "''") + "'");
            }
        } finally {
            System.setErr(originalErr);
        }
        assertThat(logs.toString(StandardCharsets.UTF_8)).contains(backup.id()).doesNotContain(PASSWORD).doesNotContain("p@ss");
        for (Path f : List.of(backup.manifestPath(), backup.manifestPath().resolveSibling(backup.manifest().files().globals()))) {
            assertThat(Files.readString(f)).doesNotContain(PASSWORD);
        }
    }

    @Test
    void aDroppedDatabaseOrAWrongPasswordLeavesNoFileBehind() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        BackupTesting.createDatabase(cluster, "doomed");
        Path dir = BackupTesting.folder(tmp, "doomed");
        try (Database doomed = Database.open(config().database("doomed").poolTimeout(Duration.ofSeconds(1)).build())) {
            BackupManager m = BackupManager.create(doomed, BackupConfig.builder().backupDir(dir).build());
            BackupTesting.dropDatabase(cluster, "doomed");
            assertThatThrownBy(m::backup).isInstanceOf(RuntimeException.class).hasMessageContaining("doomed");
        }
        try (Database wrong = Database.open(config().poolTimeout(Duration.ofSeconds(1)).build())) {
            BackupManager m = BackupManager.create(wrong, BackupConfig.builder().backupDir(dir).build());
            wrong.queryOne("SELECT 1", io.fortress.db.api.RowMapper.firstLong()); // one pooled connection logged in already
            // the pools' open connections stay logged in; every new login, pg_dump's included, now fails
            BackupTesting.sql(cluster, "postgres", "ALTER ROLE \"back up\" PASSWORD 'rotated'");
            try {
                assertThatThrownBy(m::backup).isInstanceOf(BackupException.class).hasMessageContaining("password authentication failed");
            } finally {
                BackupTesting.sql(cluster, "postgres", "ALTER ROLE \"back up\" PASSWORD '" + PASSWORD.replace("'", "''") + "'");
            }
        }
        assertThat(Files.exists(dir) ? backupFiles(dir) : List.of()).isEmpty();
    }
}
