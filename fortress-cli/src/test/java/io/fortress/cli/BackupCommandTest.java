package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.db.TestDatabases;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** `fortress backup ...` in process, against a real cluster: output, JSON shapes and exit statuses. */
class BackupCommandTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() throws Exception {
        try (Connection c = CLUSTER.cluster().primary().connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE items AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 2000) g");
        }
    }

    private static CliRun run(Map<String, String> env, String... args) {
        return CliRun.of(env, args);
    }

    private Map<String, String> env() {
        LocalCluster cluster = CLUSTER.cluster();
        return CliEnvironment.of(cluster, cluster.database(), tmp.resolve("backups").toString());
    }

    private static long rows(String database) throws Exception {
        try (Connection c = CLUSTER.cluster().primary().connect(database); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM items")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void helpAndVersion() {
        CliRun help = run(Map.of(), "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("Usage: fortress").contains("backup");
        assertThat(run(Map.of(), "backup", "--help").out()).contains("create").contains("restore").contains("cleanup");
        CliRun version = run(Map.of(), "--version");
        assertThat(version.status()).isZero();
        // the release version and the commit the build came from, as the jar's resources were stamped
        assertThat(version.out().strip()).matches("fortress \\d+\\.\\d+\\.\\d+ \\(commit [0-9a-f]{7,}(, with uncommitted changes)?\\)");
        String commit = version.out().replaceAll("(?s).*\\(commit ([0-9a-f]+).*", "$1");
        assertThat(gitHead()).startsWith(commit);
        assertThat(run(Map.of(), "backup", "frobnicate").status()).isEqualTo(2);
    }

    /** The commit checked out in the repository the tests run in. */
    private static String gitHead() {
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String head = new String(git.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            assertThat(git.waitFor()).as(head).isZero();
            return head;
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError("git rev-parse HEAD failed", e);
        }
    }

    @Test
    void aBuildOutsideAGitCloneSaysItsCommitIsUnknown() {
        java.util.Properties stamped = new java.util.Properties();
        stamped.setProperty("version", "0.1.0");
        stamped.setProperty("commit", "${git.commit.id.abbrev}");
        stamped.setProperty("dirty", "${git.dirty}");
        assertThat(FortressCommand.Version.line(stamped)).isEqualTo("fortress 0.1.0 (commit unknown)");
        stamped.setProperty("commit", "1a2b3c4");
        stamped.setProperty("dirty", "true");
        assertThat(FortressCommand.Version.line(stamped)).isEqualTo("fortress 0.1.0 (commit 1a2b3c4, with uncommitted changes)");
    }

    @Test
    void createListVerifyRestoreAndCleanup() throws Exception {
        Map<String, String> env = env();
        CliRun create = run(env, "backup", "create", "--json");
        assertThat(create.status()).as(create.err()).isZero();
        JsonNode created = JSON.readTree(create.out());
        String id = created.get("id").asText();
        assertThat(create.err()).contains("fortress: dumping...");

        CliRun list = run(env, "backup", "list", "--json");
        assertThat(list.status()).isZero();
        JsonNode backups = JSON.readTree(list.out()).get("backups");
        assertThat(backups).hasSize(1);
        JsonNode b = backups.get(0);
        assertThat(b.get("id").asText()).isEqualTo(id);
        assertThat(b.get("database").asText()).isEqualTo("fortress");
        assertThat(b.get("format").asText()).isEqualTo("custom");
        assertThat(b.get("status").asText()).isEqualTo("verified");
        assertThat(b.get("size_bytes").asLong()).isPositive();
        assertThat(b.has("path") && b.has("created_at")).isTrue();
        assertThat(run(env, "backup", "list").out()).contains(id).contains("verified");

        CliRun verify = run(env, "backup", "verify", id, "--level", "restore-drill", "--json");
        assertThat(verify.status()).as(verify.out() + verify.err()).isZero();
        assertThat(JSON.readTree(verify.out()).get("passed").asBoolean()).isTrue();

        // the script's form: DB_NAME names the new database
        Map<String, String> scriptRestore = new HashMap<>(env);
        scriptRestore.put("DB_NAME", "test_restore");
        CliRun restore = run(scriptRestore, "backup", "restore", b.get("path").asText());
        assertThat(restore.status()).as(restore.err()).isZero();
        assertThat(restore.out()).contains("into database test_restore (created)");
        assertThat(rows("test_restore")).isEqualTo(2000);
        // again: refused, the database has objects now
        CliRun again = run(scriptRestore, "backup", "restore", id);
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).contains("already exists").contains("--force");
        assertThat(run(env, "backup", "restore", id, "--target-db", "test_restore", "--force").status()).isZero();
        assertThat(run(env, "backup", "restore", id, "--target-db", "other_copy").out()).contains("other_copy (created)");

        CliRun pin = run(env, "backup", "pin", id);
        assertThat(pin.status()).as(pin.err()).isZero();
        assertThat(pin.out()).isEqualTo("pinned " + id + "\n");
        assertThat(JSON.readTree(run(env, "backup", "list", "--json").out()).get("backups").get(0).get("pinned").asBoolean()).isTrue();
        CliRun unpin = run(env, "backup", "unpin", id);
        assertThat(unpin.status()).as(unpin.err()).isZero();
        assertThat(unpin.out()).isEqualTo("unpinned " + id + "\n");
        assertThat(JSON.readTree(run(env, "backup", "list", "--json").out()).get("backups").get(0).get("pinned").asBoolean()).isFalse();

        CliRun dry = run(env, "backup", "cleanup", "--dry-run");
        assertThat(dry.status()).isZero();
        assertThat(dry.out()).contains("keep " + id);
        assertThat(run(env, "backup", "cleanup", "--json").out()).contains("\"dry_run\" : false");
    }

    @Test
    void aDamagedBackupFailsVerificationWithStatusOne() throws Exception {
        Map<String, String> env = new HashMap<>(env());
        env.put("COMPRESSION", "false");
        CliRun create = run(env, "backup", "create", "--json");
        assertThat(create.status()).as(create.err()).isZero();
        Path archive = Path.of(JSON.readTree(create.out()).get("path").asText());
        try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int x = f.read();
            f.seek(f.length() / 2);
            f.write(x ^ 1);
        }
        CliRun verify = run(env, "backup", "verify", archive.toString());
        assertThat(verify.status()).isEqualTo(1);
        assertThat(verify.out()).contains("FAILED verification").contains("checksums: FAILED");
        JsonNode listed = JSON.readTree(run(env, "backup", "list", "--json").out()).get("backups").get(0);
        assertThat(listed.get("status").asText()).isEqualTo("corrupt");
    }

    @Test
    void wrongPasswordAndBadSettingsFailWithoutLeavingFiles() throws Exception {
        Map<String, String> env = new HashMap<>(env());
        env.put("PGPASSWORD", "wrong-password");
        CliRun wrong = run(env, "backup", "create");
        assertThat(wrong.status()).isEqualTo(1);
        assertThat(wrong.err()).contains("password authentication failed").doesNotContain("wrong-password");
        Path dir = tmp.resolve("backups");
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files).isEmpty();
            }
        }
        env.put("PGPASSWORD", CLUSTER.cluster().password());
        env.put("COMPRESSION", "brotli");
        CliRun bad = run(env, "backup", "create");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("COMPRESSION=brotli is invalid");
        env.put("COMPRESSION", "true");
        env.put("DB_NAME", "no_such_db");
        assertThat(run(env, "backup", "create").status()).isEqualTo(1);
    }
    /** Right after serve starts, its first backup runs: `backup create` then waits for it, says so, and takes its own. */
    @Test
    void createWaitsForABackupThatIsRunningAndSaysSo() throws Exception {
        Map<String, String> env = env();
        LocalCluster cluster = CLUSTER.cluster();
        io.fortress.db.api.DbConfig config = TestDatabases.primaryOnly(cluster).build();
        try (Connection lock = cluster.primary().connect(); io.fortress.db.Database db = io.fortress.db.Database.open(config)) {
            lock.setAutoCommit(false);
            try (Statement s = lock.createStatement()) {
                s.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
            }
            // another backup of the database, held at the table lock as long as the test wants
            io.fortress.db.backup.BackupManager other = io.fortress.db.backup.BackupManager.create(db, io.fortress.db.backup.BackupConfig
                    .builder().backupDir(tmp.resolve("backups")).lockWaitTimeout(java.time.Duration.ZERO).build());
            var running = java.util.concurrent.CompletableFuture.supplyAsync(other::backup);
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!other.stats().running().map(p -> p.phase() == io.fortress.db.backup.BackupPhase.DUMPING).orElse(false)
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(other.stats().running()).as("the other backup is dumping").isPresent();
            var create = java.util.concurrent.CompletableFuture.supplyAsync(() -> run(env, "backup", "create"));
            Thread.sleep(2000);
            assertThat(create).as("backup create waits while the other backup runs").isNotDone();
            lock.rollback();
            io.fortress.db.backup.BackupInfo first = running.get(60, java.util.concurrent.TimeUnit.SECONDS);
            CliRun r = create.get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.err()).contains("another backup of database " + cluster.database() + " is running")
                    .contains("waiting for it to finish (at most BACKUP_TIMEOUT, 12h)");
            assertThat(r.out()).startsWith("created backup ").doesNotContain(first.id());
        }
    }
}
