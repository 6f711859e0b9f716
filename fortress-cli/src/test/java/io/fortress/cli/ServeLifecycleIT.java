package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManager;
import io.fortress.db.backup.BackupStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What docs/operations.md promises of {@code fortress serve}'s life, through the real jar against a
 * LocalCluster (DB_HOST): scheduled backups at FORTRESS_BACKUP_INTERVAL with retention after each, a
 * running backup cancelled at SIGTERM, JSON logs, and a dirty migration refusing the start. Each test
 * has a database of its own. A running backup gets its 5 s
 * grace at SIGTERM: kept when it finishes within it, cancelled when not.
 */
class ServeLifecycleIT {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopServes() {
        started.forEach(FortressProcess::stop);
    }

    @Test
    void scheduledBackupsRunAtTheIntervalAndRetentionFollowsEach() throws Exception {
        createDatabase("scheduled", "CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
        Path backups = work.resolve("backups");
        // two real backups, taken as if 40 and 39 days ago: older than RETENTION_DAYS, and due for a successor long ago
        List<String> old = new ArrayList<>(List.of(backupAsOf("scheduled", backups, Instant.now().minus(40, ChronoUnit.DAYS)),
                backupAsOf("scheduled", backups, Instant.now().minus(39, ChronoUnit.DAYS))));
        Map<String, String> env = env("scheduled", backups);
        env.put("FORTRESS_BACKUP_INTERVAL", "1m");
        env.put("RETENTION_DAYS", "7");
        env.put("BACKUP_MIN_KEEP", "1");
        Path log = work.resolve("serve.log");
        serve(env, log, log);

        // the newest good backup is 39 days old: the first scheduled one starts at once, and retention after it
        until(Duration.ofSeconds(90), () -> ids(backups).size() == 1 && !old.contains(ids(backups).get(0)));
        String first = ids(backups).get(0);
        Instant firstStarted = started("scheduled", backups, first);

        // another expired backup appears meanwhile; the second scheduled run, one interval later, removes it after its backup
        old.add(backupAsOf("scheduled", backups, Instant.now().minus(30, ChronoUnit.DAYS)));
        assertThat(ids(backups)).hasSize(2);
        until(Duration.ofSeconds(150), () -> ids(backups).size() == 2 && ids(backups).stream().noneMatch(old::contains));
        String second = ids(backups).stream().filter(id -> !id.equals(first)).findFirst().orElseThrow();
        Duration between = Duration.between(firstStarted, started("scheduled", backups, second));
        assertThat(between).as("between the starts of two scheduled backups, at an interval of 1m")
                .isBetween(Duration.ofSeconds(55), Duration.ofSeconds(120));
        assertThat(Files.readString(log)).contains("backups of database scheduled every 1m").contains("deleted backup " + old.get(0))
                .contains("deleted backup " + old.get(2));
    }

    @Test
    void atSigtermARunningBackupIsCancelledLeavingNothingAndServeEndsWithin15Seconds() throws Exception {
        createDatabase("cancelled", "CREATE TABLE held AS SELECT g FROM generate_series(1, 1000) g");
        Path backups = work.resolve("backups");
        Path log = work.resolve("serve.log");
        Process serve;
        try (Connection lock = lockTable("cancelled", "held")) {
            serve = serve(env("cancelled", backups), log, log);
            awaitBackupWaitingForTheLock("cancelled");
            long sigterm = System.nanoTime();
            serve.destroy(); // SIGTERM; the lock stays held: the backup cannot finish
            assertThat(serve.waitFor(30, TimeUnit.SECONDS)).as("serve ended").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - sigterm)).as("the stop: the backup's 5 s grace, then its cancel")
                    .isBetween(Duration.ofSeconds(4), Duration.ofSeconds(15));
            lock.rollback();
        }
        assertThat(visibleFiles(backups)).as("what the cancelled backup left in BACKUP_DIR").isEmpty();
        assertThat(Files.readString(log)).contains("backup of database cancelled started").contains("failed").contains("stopped");
        until(Duration.ofSeconds(10), () -> "0".equals(CLUSTER.cluster().primary().queryValue(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'cancelled' AND application_name LIKE '%backup%'")));
    }

    @Test
    void atSigtermARunningBackupThatFinishesWithinItsGraceIsKept() throws Exception {
        createDatabase("graced", "CREATE TABLE held AS SELECT g FROM generate_series(1, 1000) g");
        Path backups = work.resolve("backups");
        Path log = work.resolve("serve.log");
        Process serve;
        try (Connection lock = lockTable("graced", "held")) {
            serve = serve(env("graced", backups), log, log);
            awaitBackupWaitingForTheLock("graced");
            serve.destroy(); // SIGTERM while pg_dump waits for the lock
            Thread.sleep(1500);
            assertThat(serve.isAlive()).as("serve still stopping, its backup in its grace").isTrue();
            lock.rollback(); // the backup can finish now, within its 5 s
        }
        assertThat(serve.waitFor(30, TimeUnit.SECONDS)).as("serve ended").isTrue();
        assertThat(Files.readString(log)).containsPattern("backup graced_\\d{8}_\\d{6} of database graced: .*, verified").contains("stopped");
        try (Database db = Database.open(dbConfig("graced"))) {
            BackupManager manager = BackupManager.create(db, BackupConfig.builder().backupDir(backups).build());
            assertThat(manager.listBackups()).as("the backup finished in its grace").hasSize(1)
                    .allSatisfy(b -> assertThat(b.manifest().lifecycle().status()).isEqualTo(BackupStatus.VERIFIED));
        }
    }

    @Test
    void everyLogLineIsAJsonObjectWithFortressLogFormatJson() throws Exception {
        createDatabase("jsonlogs", "CREATE TABLE t(id int)");
        Map<String, String> env = env("jsonlogs", work.resolve("backups"));

        env.put("FORTRESS_LOG_FORMAT", "json");
        Path out = work.resolve("serve.out");
        Path err = work.resolve("serve.err");
        Process serve = serve(env, out, err);
        Path backups = work.resolve("backups");
        until(Duration.ofSeconds(90), () -> ids(backups).size() == 1); // the first backup, logged too
        serve.destroy();
        assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();

        List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        assertThat(lines).as("log lines of a start, a backup and a stop").hasSizeGreaterThan(5);
        List<JsonNode> events = new ArrayList<>();
        for (String line : lines) {
            JsonNode event = JSON.readTree(line); // throws on any line that is not JSON
            assertThat(event.isObject()).as(line).isTrue();
            assertThat(event.has("level") && event.has("loggerName") && event.has("message")).as(line).isTrue();
            events.add(event);
        }
        assertThat(events).extracting(e -> e.get("message").asText()).contains("stopping", "stopped");
        assertThat(Files.readString(out)).as("the banner, for people, on stdout").contains("fortress serve is up");
    }

    @Test
    void aDirtyMigrationAtStartEndsServeWithExitStatus1() throws Exception {
        createDatabase("dirtyatstart", "SELECT 1");
        Map<String, String> env = env("dirtyatstart", work.resolve("backups"));
        FortressProcess.Result up = FortressProcess.run(env, work, "migrate", "up");
        assertThat(up.exitCode()).as(up.out() + up.err()).isZero();
        sql("dirtyatstart", "UPDATE credits.schema_migrations SET dirty = true");

        FortressProcess.Result serve = FortressProcess.run(env, work, "serve");
        assertThat(serve.exitCode()).as(serve.out() + serve.err()).isEqualTo(1);
        assertThat(serve.err()).containsIgnoringCase("dirty").contains("credits");
        assertThat(serve.out()).doesNotContain("stop with Ctrl-C or SIGTERM");
    }

    // ---------------------------------------------------------------- helpers

    private Process serve(Map<String, String> env, Path out, Path err) throws Exception {
        Process p = FortressProcess.builder(env, out, err, "serve").start();
        started.add(p);
        until(Duration.ofMinutes(3), () -> !p.isAlive() || Files.readString(out).contains("stop with Ctrl-C or SIGTERM"));
        assertThat(p.isAlive()).as(() -> "serve exited: " + read(out) + read(err)).isTrue();
        return p;
    }

    /** Polls the condition every 200 ms until it holds; fails after {@code timeout}. */
    private static void until(Duration timeout, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout);
            }
            Thread.sleep(200);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    private Map<String, String> env(String database, Path backups) throws IOException {
        Map<String, String> env = new HashMap<>(FortressProcess.environment(work.resolve("data"), FortressProcess.freePort()));
        env.putAll(CliEnvironment.of(CLUSTER.cluster(), database, backups.toString()));
        return env;
    }

    private static void createDatabase(String name, String setup) {
        CLUSTER.cluster().primary().execute("CREATE DATABASE " + name);
        sql(name, setup);
    }

    private static void sql(String database, String statement) {
        try (Connection c = CLUSTER.cluster().primary().connect(database); Statement s = c.createStatement()) {
            s.execute(statement);
        } catch (Exception e) {
            throw new IllegalStateException(statement, e);
        }
    }

    /** A connection holding ACCESS EXCLUSIVE on the table in an open transaction: pg_dump waits for it. */
    private static Connection lockTable(String database, String table) throws Exception {
        Connection c = CLUSTER.cluster().primary().connect(database);
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
        }
        return c;
    }

    private static void awaitBackupWaitingForTheLock(String database) throws Exception {
        until(Duration.ofSeconds(60), () -> !"0".equals(CLUSTER.cluster().primary().queryValue(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + database + "' AND wait_event_type = 'Lock'")));
    }

    /** The library's configuration for the cluster's primary alone and the database. */
    private static DbConfig dbConfig(String database) {
        LocalCluster cluster = CLUSTER.cluster();
        return DbConfig.builder().host(Node.HOST).port(cluster.primary().port()).user(cluster.superuser())
                .password(cluster.password()).database(database).replicaHosts(List.of()).build();
    }

    /** A real backup of the database into the folder, its manifest dated {@code asOf}; returns its id. */
    private static String backupAsOf(String database, Path folder, Instant asOf) {
        try (Database db = Database.open(dbConfig(database))) {
            BackupManager manager = BackupManager.builder(db, BackupConfig.builder().backupDir(folder).build())
                    .clock(Clock.fixed(asOf, ZoneOffset.UTC)).build();
            return manager.backup().id();
        }
    }

    /** When the backup started, as its manifest says. */
    private static Instant started(String database, Path folder, String id) {
        try (Database db = Database.open(dbConfig(database))) {
            List<BackupInfo> listed = BackupManager.builder(db, BackupConfig.builder().backupDir(folder).build()).build().listBackups();
            return listed.stream().filter(b -> b.id().equals(id)).findFirst().orElseThrow().manifest().started();
        }
    }

    /** The ids of the backups whose manifests are in the folder, sorted. */
    private static List<String> ids(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".manifest.json"))
                    .map(n -> n.substring(0, n.length() - ".manifest.json".length())).sorted().toList();
        }
    }

    private static List<String> visibleFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }
}
