package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import io.fortress.db.Database;
import io.fortress.db.TestDatabases;
import io.fortress.db.api.DbConfig;
import io.fortress.db.backup.BackupConfig;
import io.fortress.db.backup.BackupInfo;
import io.fortress.db.backup.BackupManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/prometheus/fortress-rules.yml loaded into a real Prometheus server (Debian's prometheus
 * package) that scrapes real {@code fortress serve} processes, asked through its HTTP API:
 * <ul>
 *   <li>a fresh serve, whose first backup waits on a table lock and then completes, never has a backup
 *       alert pending or firing: not while the backup runs, not after;</li>
 *   <li>a serve whose newest backup is 27 hours old (FORTRESS_BACKUP_INTERVAL 48h, so it takes none now)
 *       fires FortressBackupTooOld (its {@code for: 10m} shortened to 5 s in the test's copy of the rules);</li>
 *   <li>a serve whose first backup failed (a table lock and BACKUP_LOCK_WAIT_TIMEOUT=1s) fires FortressNoBackupYet.</li>
 * </ul>
 * Prometheus listens on loopback in a temporary folder and is ended with the test.
 */
@RequiresTool(Tool.PROMETHEUS)
class PrometheusAlertsIT {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<String> BACKUP_ALERTS = List.of("FortressBackupTooOld", "FortressNoBackupYet");

    @TempDir
    Path work;

    @Test
    void aFreshServeRaisesNoBackupAlertAnOldBackupAndAFailedFirstOneDo() throws Exception {
        String prometheus = Tool.PROMETHEUS.require().toString();
        LocalCluster cluster = CLUSTER.cluster();
        for (String db : List.of("fresh", "old", "failing")) {
            cluster.primary().execute("CREATE DATABASE " + db);
            try (Connection c = cluster.primary().connect(db); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE hold (id int)");
            }
        }
        // the old serve's folder holds one good backup, taken (by the clock) 27 hours ago
        Path oldBackups = work.resolve("old-backups");
        DbConfig oldDb = TestDatabases.primaryOnly(cluster).database("old").build();
        try (Database db = Database.open(oldDb)) {
            BackupInfo old = BackupManager.builder(db, BackupConfig.builder().backupDir(oldBackups).build())
                    .clock(Clock.offset(Clock.systemUTC(), Duration.ofHours(-27))).build().backup();
            assertThat(old.createdAt()).isBefore(Instant.now().minus(Duration.ofHours(26)));
        }

        List<Process> serves = new ArrayList<>();
        Process prom = null;
        try (Connection freshLock = lock(cluster, "fresh"); Connection failingLock = lock(cluster, "failing")) {
            Map<String, Integer> ports = new LinkedHashMap<>();
            for (String name : List.of("fresh", "old", "failing")) {
                int port = FortressProcess.freePort();
                ports.put(name, port);
                Map<String, String> env = new HashMap<>(CliEnvironment.of(cluster, name, work.resolve(name + "-backups").toString()));
                env.put("FORTRESS_HTTP_ADDR", "127.0.0.1:" + port);
                env.put("FORTRESS_IOC_CLEANUP_INTERVAL", "0");
                switch (name) {
                    case "fresh" -> env.put("BACKUP_LOCK_WAIT_TIMEOUT", "0"); // its first backup waits until the test lets it go
                    case "old" -> env.put("FORTRESS_BACKUP_INTERVAL", "48h"); // the next backup is 21 h away
                    default -> env.put("BACKUP_LOCK_WAIT_TIMEOUT", "1s"); // its first backup fails
                }
                serves.add(FortressProcess.serve(env, work.resolve(name + ".log")));
            }
            prom = startPrometheus(prometheus, ports);
            final int promPort = this.promPort;

            // every rule evaluates without error against what serve exports
            awaitTrue("Prometheus evaluated the rules", Duration.ofSeconds(60), () -> {
                JsonNode groups = api(promPort, "/api/v1/rules").path("data").path("groups");
                return groups.size() == 1 && groups.get(0).path("rules").size() == AlertRules.ALL.size()
                        && allMatch(groups.get(0).path("rules"), r -> r.path("lastEvaluation").asText().compareTo("2000") > 0);
            });
            for (JsonNode r : api(promPort, "/api/v1/rules").path("data").path("groups").get(0).path("rules")) {
                assertThat(r.path("health").asText()).as(r.path("name").asText() + ": " + r.path("lastError").asText()).isEqualTo("ok");
            }
            // the fresh serve's first backup is running (held by the lock), and Prometheus has seen it so
            awaitTrue("Prometheus scraped the fresh serve waiting for its first backup", Duration.ofSeconds(60),
                    () -> value(promPort, "fortress_backup_running{serve=\"fresh\"}").orElse(0.0) == 1.0
                            && value(promPort, "fortress_backup_none_since_timestamp_seconds{serve=\"fresh\"} > 0").isPresent());
            assertThat(value(promPort, "fortress_backup_last_success_timestamp_seconds{serve=\"fresh\"} > 0")).as("NaN, no number").isEmpty();
            // the status page says the same, neutrally
            String freshPage = FortressProcess.get(ports.get("fresh"), "/").body();
            assertThat(freshPage).contains("no backup yet; the first one is running").doesNotContain("FortressNoBackupYet")
                    .doesNotContain("FortressBackupTooOld");

            // the old backup fires FortressBackupTooOld, the failed first backup FortressNoBackupYet; the fresh serve nothing
            awaitTrue("FortressBackupTooOld firing for the old serve and FortressNoBackupYet for the failing one", Duration.ofSeconds(120),
                    () -> {
                        Map<String, String> states = backupAlerts(promPort);
                        return "firing".equals(states.get("old/FortressBackupTooOld"))
                                && "firing".equals(states.get("failing/FortressNoBackupYet"));
                    });
            assertThat(backupAlerts(promPort)).doesNotContainKeys("old/FortressNoBackupYet", "failing/FortressBackupTooOld");
            assertThat(FortressProcess.get(ports.get("old"), "/").body()).contains("FortressBackupTooOld").doesNotContain("FortressNoBackupYet");
            assertThat(FortressProcess.get(ports.get("failing"), "/").body()).contains("no backup yet; the first one is due at ")
                    .contains("FortressNoBackupYet: there is no good backup yet and the first attempt failed").doesNotContain("FortressBackupTooOld");

            // the lock goes: the fresh serve's first backup completes, and still nothing fires
            freshLock.rollback();
            awaitTrue("the fresh serve's first backup, seen by Prometheus", Duration.ofSeconds(120),
                    () -> value(promPort, "fortress_backup_runs_total{serve=\"fresh\",result=\"success\"}").orElse(0.0) >= 1
                            && value(promPort, "fortress_backup_last_success_timestamp_seconds{serve=\"fresh\"} > 0").isPresent());
            assertThat(value(promPort, "fortress_backup_none_since_timestamp_seconds{serve=\"fresh\"} > 0")).as("NaN once it exists").isEmpty();
            Thread.sleep(3000); // a few more evaluations
            assertThat(FortressProcess.get(ports.get("fresh"), "/").body()).doesNotContain("no backup yet")
                    .contains("none of the alert rules' conditions holds");
            assertThat(backupAlerts(promPort)).as("no backup alert for the fresh serve, after its first backup either")
                    .doesNotContainKeys("fresh/FortressBackupTooOld", "fresh/FortressNoBackupYet");
        } finally {
            if (prom != null) {
                prom.destroy();
                if (!prom.waitFor(30, TimeUnit.SECONDS)) {
                    prom.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            }
            serves.forEach(FortressProcess::stop);
        }
        assertThat(prom.isAlive()).isFalse();
        assertThat(serves).noneMatch(Process::isAlive);
    }

    /** Alerts of the backup rules now, by serve/alertname; fails at once on one for the fresh serve. */
    private Map<String, String> backupAlerts(int port) throws Exception {
        Map<String, String> states = new HashMap<>();
        for (JsonNode a : api(port, "/api/v1/alerts").path("data").path("alerts")) {
            String name = a.path("labels").path("alertname").asText();
            if (BACKUP_ALERTS.contains(name)) {
                String key = a.path("labels").path("serve").asText() + "/" + name;
                states.put(key, a.path("state").asText());
                if (key.startsWith("fresh/")) {
                    fail("a fresh serve must raise no backup alert, but " + name + " is " + a.path("state").asText() + ": " + a);
                }
            }
        }
        return states;
    }

    private static Connection lock(LocalCluster cluster, String database) throws Exception {
        Connection c = cluster.primary().connect(database);
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE hold IN ACCESS EXCLUSIVE MODE");
        }
        return c;
    }

    private int promPort;

    /** Prometheus on loopback scraping each serve every second, with the rules (FortressBackupTooOld's 10m as 5s) every second. */
    private Process startPrometheus(String binary, Map<String, Integer> serves) throws Exception {
        Path dir = Files.createDirectories(work.resolve("prometheus"));
        String rules = Files.readString(Promtool.RULES.resolve("fortress-rules.yml"));
        String tooOld = "      - alert: FortressBackupTooOld\n";
        int at = rules.indexOf(tooOld);
        int forAt = rules.indexOf("        for: 10m\n", at);
        assertThat(at).as("FortressBackupTooOld in the rules").isNotNegative();
        assertThat(forAt).as("its for: 10m").isGreaterThan(at).isLessThan(rules.indexOf("      - alert:", at + tooOld.length()));
        Files.writeString(dir.resolve("rules.yml"), rules.substring(0, forAt) + "        for: 5s\n" + rules.substring(forAt + "        for: 10m\n".length()));
        StringBuilder config = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                + "rule_files:\n  - rules.yml\nscrape_configs:\n  - job_name: fortress\n    static_configs:\n");
        serves.forEach((name, port) -> config.append("      - targets: ['127.0.0.1:").append(port).append("']\n        labels: {serve: ")
                .append(name).append("}\n"));
        Files.writeString(dir.resolve("prometheus.yml"), config);
        promPort = FortressProcess.freePort();
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder(binary, "--config.file=" + dir.resolve("prometheus.yml"), "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + promPort, "--storage.tsdb.retention.time=1h")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "stop-prometheus"));
        try {
            awaitTrue("Prometheus ready on 127.0.0.1:" + promPort, Duration.ofSeconds(60), () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("prometheus exited with " + p.exitValue() + ":\n" + Files.readString(log));
                }
                try {
                    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + promPort + "/-/ready")).timeout(Duration.ofSeconds(5))
                            .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (java.io.IOException notYet) {
                    return false;
                }
            });
        } catch (RuntimeException | AssertionError e) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw e;
        }
        return p;
    }

    /** The single value of an instant query, empty when it has no result. */
    private static Optional<Double> value(int port, String query) throws Exception {
        JsonNode result = api(port, "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)).path("data").path("result");
        return result.isEmpty() ? Optional.empty() : Optional.of(Double.parseDouble(result.get(0).path("value").get(1).asText()));
    }

    private static JsonNode api(int port, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("status").asText()).as(r.body()).isEqualTo("success");
        return body;
    }

    private static boolean allMatch(JsonNode array, java.util.function.Predicate<JsonNode> p) {
        for (JsonNode n : array) {
            if (!p.test(n)) {
                return false;
            }
        }
        return true;
    }

    interface Check {
        boolean holds() throws Exception;
    }

    /** Polls every 500 ms; fails naming {@code what} after {@code timeout}. */
    private static void awaitTrue(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + timeout.toSeconds() + " s: " + what);
            }
            Thread.sleep(500);
        }
    }
}
