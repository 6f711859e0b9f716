package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * `fortress backup pitr ...` in process against a real server of its own (setup restarts it) with real
 * pgBackRest: setup as a DBA must finish it, a base backup, the list, the archiver's status, and a
 * restore drill, and a restore to a time before a DROP TABLE into a separate server.
 */
@RequiresTool(Tool.PGBACKREST)
class BackupPitrCommandTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(0);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PASSPHRASE = "cli-passphrase-" + java.util.UUID.randomUUID();
    private static Path work;
    private static Map<String, String> env;

    @BeforeAll
    static void setUp() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        work = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "fortress-pitr-cli-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path key = work.resolve("pitr.key");
        Files.writeString(key, PASSPHRASE + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        env = new java.util.HashMap<>(CliEnvironment.of(cluster, cluster.database(), work.resolve("dumps").toString()));
        env.putAll(Map.of("BACKUP_PITR", "true", "BACKUP_PITR_REPO_PATH", work.resolve("repo").toString(),
                "BACKUP_PITR_WORK_DIR", work.resolve("pgbackrest").toString(), "BACKUP_PITR_CIPHER_KEY_FILE", key.toString()));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (work != null) {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void setUpBackUpListAndRestoreToATimeBeforeADropTable() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        CliRun print = CliRun.of(env, "backup", "pitr", "setup", "--print");
        assertThat(print.status()).as(print.err()).isZero();
        assertThat(print.out()).contains("archive_mode = on", "archive-push %p", "PGBACKREST_REPO1_CIPHER_PASS", "[main]")
                .doesNotContain(PASSPHRASE);

        CliRun first = CliRun.of(env, "backup", "pitr", "setup");
        assertThat(first.status()).as("a server fortress does not manage: its DBA restarts it").isEqualTo(1);
        assertThat(first.err()).contains("restart the primary, then run `fortress backup pitr setup` again");
        cluster.primary().restart();
        CliRun setup = CliRun.of(env, "backup", "pitr", "setup");
        assertThat(setup.status()).as(setup.err()).isZero();
        assertThat(setup.out()).contains("WAL archiving into pgBackRest works");

        cluster.primary().execute("CREATE TABLE victim AS SELECT g AS id FROM generate_series(1, 800) g");
        CliRun base = CliRun.of(env, "backup", "pitr", "base", "--type", "full", "--json");
        assertThat(base.status()).as(base.err()).isZero();
        JsonNode backup = JSON.readTree(base.out());
        assertThat(backup.get("type").asText()).isEqualTo("full");
        CliRun badType = CliRun.of(env, "backup", "pitr", "base", "--type", "weekly");
        assertThat(badType.status()).isEqualTo(2);
        assertThat(badType.err()).contains("--type").contains("full, diff or incr");

        CliRun list = CliRun.of(env, "backup", "pitr", "list");
        assertThat(list.status()).as(list.err()).isZero();
        assertThat(list.out()).contains(backup.get("label").asText()).contains("restorable from");
        CliRun status = CliRun.of(env, "backup", "pitr", "status");
        assertThat(status.status()).as(status.out() + status.err()).isZero();
        assertThat(status.out()).contains("archived:").doesNotContain("FAILING");

        CliRun drill = CliRun.of(env, "backup", "pitr", "drill", "--json");
        assertThat(drill.status()).as(drill.out() + drill.err()).isZero();
        JsonNode report = JSON.readTree(drill.out());
        assertThat(report.get("passed").asBoolean()).isTrue();
        assertThat(report.get("tables_compared").asInt()).as("victim, at least").isPositive();
        assertThat(report.get("problems")).isEmpty();
        assertThat(report.get("restore_seconds").asDouble()).isPositive();

        cluster.primary().execute("INSERT INTO victim SELECT g FROM generate_series(801, 1000) g");
        Thread.sleep(1200);
        String beforeDrop = Instant.now().toString();
        Thread.sleep(1200);
        cluster.primary().execute("DROP TABLE victim");
        Path restored = work.resolve("restored");
        CliRun restore = CliRun.of(env, "backup", "pitr", "restore", "--to-time", beforeDrop, "--target-dir", restored.toString());
        assertThat(restore.status()).as(restore.err()).isZero();
        Matcher port = Pattern.compile("listens on port (\\d+)").matcher(restore.out());
        assertThat(port.find()).as(restore.out()).isTrue();
        try {
            assertThat(count(Integer.parseInt(port.group(1)), "SELECT count(*) FROM victim")).isEqualTo(1000);
        } finally {
            stop(restored);
        }
    }

    @Test
    void aRestoreTakesExactlyOneStoppingPointAndAWellFormedOne() {
        String dir = work.resolve("never").toString();
        CliRun two = CliRun.of(env, "backup", "pitr", "restore", "--latest", "--to-lsn", "0/3000060", "--target-dir", dir);
        assertThat(two.status()).isEqualTo(2);
        assertThat(two.err()).contains("mutually exclusive");
        CliRun badTime = CliRun.of(env, "backup", "pitr", "restore", "--to-time", "yesterday", "--target-dir", dir);
        assertThat(badTime.status()).isEqualTo(2);
        assertThat(badTime.err()).contains("--to-time: 'yesterday' is not a time with an offset");
        CliRun badLsn = CliRun.of(env, "backup", "pitr", "restore", "--to-lsn", "12345", "--target-dir", dir);
        assertThat(badLsn.status()).isEqualTo(2);
        assertThat(badLsn.err()).contains("--to-lsn: '12345' is not a WAL position");
        CliRun badToken = CliRun.of(env, "backup", "pitr", "restore", "--to-token", "tomorrow", "--target-dir", dir);
        assertThat(badToken.status()).isEqualTo(2);
        assertThat(badToken.err()).contains("--to-token: 'tomorrow' is not a WAL position");
        assertThat(Files.exists(Path.of(dir))).isFalse();
    }

    /** Stops the restored server the command left running (SIGTERM to its postmaster), waiting for it to exit. */
    private static void stop(Path dataDirectory) throws Exception {
        long pid = Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).strip());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
        postmaster.destroy();
        postmaster.onExit().get(60, TimeUnit.SECONDS);
    }

    private static long count(int port, String sql) throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        Properties p = new Properties();
        p.setProperty("user", cluster.superuser());
        p.setProperty("password", cluster.password());
        p.setProperty("sslmode", "disable");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + cluster.database(), p);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
