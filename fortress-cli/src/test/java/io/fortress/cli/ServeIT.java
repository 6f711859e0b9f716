package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code fortress serve} end to end, through the real jar, on a fresh embedded cluster: one serve for
 * the whole class (starting it creates three servers), the tests in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path work;
    private static Path dataDir;
    private static int port;
    private static Map<String, String> env;
    private static Process serve;
    private static Path serveLog;

    @BeforeAll
    static void startServe() throws Exception {
        work = Files.createTempDirectory("fortress-serve-it");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x")); // the server user must reach it
        dataDir = work.resolve("data");
        port = FortressProcess.freePort();
        env = new java.util.HashMap<>(FortressProcess.environment(dataDir, port));
        env.put("DB_HEDGE_READS", "true"); // the status page's panel of hedged reads shows
        serveLog = work.resolve("serve.log");
        serve = FortressProcess.serve(env, serveLog);
    }

    /**
     * Each step starts from a serve that answers ready and every node running, whatever an earlier step
     * left (serve ended, a node stopped): a step that fails fails alone instead of taking the next ones with it.
     */
    @BeforeEach
    void serveAndEveryNodeRun() throws Exception {
        if (!serve.isAlive()) {
            serveLog = work.resolve("serve-restarted-" + System.nanoTime() + ".log");
            serve = FortressProcess.serve(env, serveLog);
        }
        if (Files.exists(dataDir.resolve("cluster"))) {
            for (Node node : embedded().nodes()) {
                node.start(); // a running node is left alone
            }
        }
        awaitStatus("/health/ready", 200, Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopEverything() throws Exception {
        if (serve != null) {
            FortressProcess.stop(serve);
        }
        if (Files.exists(dataDir.resolve("cluster"))) {
            embedded().stopAll();
        }
        // the embedded cluster's data, backups and logs: a few hundred MB per run
        try (var paths = Files.walk(work)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    @Order(1)
    void comesUpWithThreeNodesAndThreeMigratedSchemas() throws Exception {
        String banner = Files.readString(serveLog, StandardCharsets.UTF_8);
        assertThat(banner).contains("fortress serve is up").contains("schemas    credits v2, shadow v1, cdefnet v1")
                .contains("http://127.0.0.1:" + port).contains(dataDir.resolve("backups").toString())
                .containsPattern("with pg_dump \\d+\\.\\d+.* in /"); // the client tools were chosen at start
        assertThat(banner.lines().filter(l -> l.matches("\\s+(primary|replica-\\d)\\s+127\\.0\\.0\\.1:\\d+\\s+\\w+\\s+(UP|STREAMING)"))).hasSize(3);

        FortressProcess.Result status = FortressProcess.run(env, work, "cluster", "status", "--json");
        assertThat(status.exitCode()).as(status.err()).isZero();
        JsonNode nodes = JSON.readTree(status.out()).get("nodes");
        assertThat(nodes).hasSize(3);
        assertThat(nodes.findValuesAsText("role")).containsExactly("primary", "replica", "replica");
        assertThat(nodes.findValuesAsText("host")).containsOnly("127.0.0.1");
        for (JsonNode n : nodes) {
            assertThat(n.get("running").asBoolean()).isTrue();
            assertThat(Path.of(n.get("data_directory").asText())).startsWith(dataDir);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("cluster").resolve("password"))))
                .isEqualTo("rw-------");
    }

    @RequiresTool(Tool.PROMTOOL)
    @Test
    @Order(2)
    void everyEndpointAnswersAsSpecified() throws Exception {
        HttpResponse<String> live = FortressProcess.get(port, "/health/live");
        assertThat(live.statusCode()).isEqualTo(200);

        HttpResponse<String> database = FortressProcess.get(port, "/health/database");
        assertThat(database.statusCode()).isEqualTo(200);
        JsonNode health = JSON.readTree(database.body());
        assertThat(health.get("snapshot_age_seconds").asDouble()).isLessThan(5);
        assertThat(health.get("nodes")).hasSize(3);
        for (JsonNode n : health.get("nodes")) {
            assertThat(n.has("role") && n.has("state") && n.has("reason") && n.has("lag_seconds") && n.has("lag_bytes")).isTrue();
        }

        HttpResponse<String> ready = FortressProcess.get(port, "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(ready.body()).get("migrations").get("credits").get("current").asBoolean()).isTrue();

        JsonNode stats = JSON.readTree(FortressProcess.get(port, "/metrics/database").body());
        assertThat(stats.get("primary").has("open_connections")).isTrue();
        assertThat(stats.get("replicas")).hasSize(2);
        assertThat(stats.get("metrics").has("primary_queries")).isTrue();

        HttpResponse<String> metrics = FortressProcess.get(port, "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        PrometheusText parsed = PrometheusText.parse(metrics.body());
        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.types).containsKeys("fortress_db_queries_total", "fortress_db_node_state", "fortress_db_replication_lag_seconds",
                "hikaricp_connections_active", "jvm_memory_used_bytes", "fortress_backup_runs_total", "process_uptime_seconds");
        assertThat(parsed.samples("fortress_db_node_up")).hasSize(3);
        Promtool.Result lint = Promtool.run(work, metrics.body().getBytes(StandardCharsets.UTF_8), "check", "metrics");
        assertThat(lint.exitCode()).as(lint.output()).isZero();
        assertThat(lint.output()).as("promtool check metrics findings").isBlank();
        // every meter the alert rules and the Grafana dashboard use is one serve exports
        for (String meter : metersUsed()) {
            if (meter.startsWith("fortress_backup_remote_") || meter.startsWith("fortress_pitr_")) {
                continue; // exported only with BACKUP_REMOTE (RemoteBackupTest checks them) or BACKUP_PITR (ServePitrIT)
            }
            String family = meter.replaceAll("_(sum|count)$", "");
            assertThat(parsed.types.containsKey(meter) || parsed.types.containsKey(family)).as("the rules' or dashboard's meter " + meter)
                    .isTrue();
        }
        assertThat(parsed.types).containsKeys("process_cpu_seconds_total", "system_cpus", "fortress_migration_dirty",
                "fortress_db_max_replica_lag_seconds", "fortress_backup_verifications_total");

        assertThat(FortressProcess.get(port, "/nope").statusCode()).isEqualTo(404);
    }

    @Test
    @Order(3)
    void statsMoveWithTheWorkServeDoes() throws Exception {
        long before = primaryQueries();
        try (Connection c = embedded().primary().connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO cdefnet.iocs (tenant_hash, type, value, first_seen, expires_at) "
                    + "SELECT encode(sha256('tenant-a'), 'hex'), 'ip', '10.0.0.' || g, now() - interval '2 minutes', "
                    + "now() - interval '1 minute' FROM generate_series(1, 5) g");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // serve logs the deletion after committing it: wait for both
        while ((expiredIndicators() > 0 || !Files.readString(serveLog).contains("deleted 5 expired cdefnet indicators"))
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(expiredIndicators()).as("serve deleted the expired indicators").isZero();
        assertThat(Files.readString(serveLog)).contains("deleted 5 expired cdefnet indicators");
        assertThat(primaryQueries()).as("fortress stats primary_queries").isGreaterThan(before);
    }

    @Test
    @Order(4)
    void oneShotCommandsWorkAgainstTheRunningCluster() throws Exception {
        FortressProcess.Result version = FortressProcess.run(env, work, "migrate", "version");
        assertThat(version.exitCode()).as(version.err()).isZero();
        assertThat(version.out()).contains("credits: version 2").contains("shadow: version 1").contains("cdefnet: version 1");

        FortressProcess.Result plan = FortressProcess.run(env, work, "migrate", "plan", "--service", "credits");
        assertThat(plan.out()).contains("credits: 2 -> 2, nothing to do");

        FortressProcess.Result health = FortressProcess.run(env, work, "health", "--json");
        assertThat(health.exitCode()).as(health.err()).isZero();
        assertThat(JSON.readTree(health.out()).get("primary_healthy").asBoolean()).isTrue();

        // a fresh serve takes its first backup at start, not one FORTRESS_BACKUP_INTERVAL (24h) later
        assertThat(Files.readString(serveLog)).contains("no good backup yet: the first one starts now");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (backupMeter("fortress_backup_runs_total", "success") < 1 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertThat(backupMeter("fortress_backup_runs_total", "success")).as("serve's first backup within 120 s").isEqualTo(1);
        double last = backupMeter("fortress_backup_last_success_timestamp_seconds", null);
        assertThat(last).as("the time of the first backup").isBetween(System.currentTimeMillis() / 1000.0 - 600,
                System.currentTimeMillis() / 1000.0 + 5);
        assertThat(backupMeter("fortress_backup_none_since_timestamp_seconds", null)).as("no longer waiting for a first backup").isNaN();

        FortressProcess.Result create = FortressProcess.run(env, work, "backup", "create");
        assertThat(create.exitCode()).as(create.err()).isZero();
        FortressProcess.Result list = FortressProcess.run(env, work, "backup", "list", "--json");
        JsonNode backups = JSON.readTree(list.out()).get("backups");
        assertThat(backups).as("serve's first backup and the one made by hand").hasSize(2);
        for (JsonNode b : backups) {
            assertThat(b.get("status").asText()).isEqualTo("verified");
            assertThat(Path.of(b.get("path").asText())).startsWith(dataDir.resolve("backups"));
        }

        FortressProcess.Result exports = FortressProcess.run(env, work, "cluster", "env");
        assertThat(exports.out()).contains("export DB_HOST='127.0.0.1'").contains("export PGPORT=")
                .contains("export PGPASSWORD='" + embedded().password() + "'");
    }

    @Test
    @Order(5)
    void databaseHealthIs503WhileThePrimaryIsStoppedAnd200WhenItIsBack() throws Exception {
        Node primary = embedded().primary();
        primary.stop();
        try {
            awaitStatus("/health/database", 503, Duration.ofSeconds(20));
            assertThat(FortressProcess.get(port, "/health/live").statusCode()).as("liveness ignores the database").isEqualTo(200);
            assertThat(FortressProcess.get(port, "/health/ready").statusCode()).isEqualTo(503);
            FortressProcess.Result health = FortressProcess.run(env, work, "health");
            assertThat(health.exitCode()).isEqualTo(1);
        } finally {
            primary.start();
        }
        awaitStatus("/health/database", 200, Duration.ofSeconds(30));
        awaitStatus("/health/ready", 200, Duration.ofSeconds(10));
    }

    @Test
    @Order(6)
    void aSecondServeOnTheBusyPortFailsWithAClearMessage() throws Exception {
        Path log = work.resolve("second.log");
        Process second = FortressProcess.builder(env, log, "serve").start();
        try {
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            second.destroyForcibly();
        }
        assertThat(second.exitValue()).isNotZero();
        assertThat(Files.readString(log)).contains("cannot listen on FORTRESS_HTTP_ADDR=127.0.0.1:" + port);
        assertThat(FortressProcess.get(port, "/health/live").statusCode()).as("the first serve is untouched").isEqualTo(200);
    }

    @Test
    @Order(7)
    void sigtermEndsServeAndItsClusterAndASecondServeKeepsTheData() throws Exception {
        try (Connection c = embedded().primary().connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO credits.credits (account_id, balance) VALUES ('survivor', 42)");
        }
        List<Node> nodes = embedded().nodes();
        serve.destroy(); // SIGTERM
        assertThat(serve.waitFor(15, TimeUnit.SECONDS)).as("serve ended within 15 s").isTrue();
        assertThat(nodes).as("no server left running").noneMatch(Node::isRunning);
        assertThat(Files.readString(serveLog)).contains("stopped");

        serveLog = work.resolve("serve-2.log");
        serve = FortressProcess.serve(env, serveLog);
        try (Connection c = embedded().primary().connect(); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT balance FROM credits.credits WHERE account_id = 'survivor'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(42);
        }
        assertThat(Files.readString(serveLog)).contains("schemas    credits v2, shadow v1, cdefnet v1");
        // the folder holds good backups: the next one is one interval after the newest, not now
        assertThat(Files.readString(serveLog)).contains("next at ").doesNotContain("the first one starts now");
    }

    @RequiresTool(Tool.CHROMIUM)
    @Test
    @Order(8)
    void theStatusPageShowsEveryNodeAndAStoppedReplicaWithinSeconds() throws Exception {
        String url = "http://127.0.0.1:" + port + "/";
        String dom = Chromium.dumpDom(url, work);
        assertThat(dom).contains("data-node=\"primary\" data-state=\"UP\"").contains("data-node=\"replica-1\" data-state=\"STREAMING\"")
                .contains("data-node=\"replica-2\" data-state=\"STREAMING\"").contains("data-service=\"credits\"")
                .contains("id=\"backups\"").contains("<svg class=\"spark\"");
        assertThat(dom).as("the hedged reads' panel, read from serve's meters").contains("id=\"hedges\"")
                .contains("data-meter=\"fortress.db.read.hedges\"").contains("data-meter=\"fortress.db.read.hedge.aborts\"");
        String hedges = dom.substring(dom.indexOf("id=\"hedges\""), dom.indexOf("</table>", dom.indexOf("id=\"hedges\"")));
        assertThat(hedges).as("every counter found in the registry").doesNotContain("\">-</td>");
        assertThat(dom).contains("id=\"overall\">UP<");
        assertThat(dom).as("a serve with good backups shows no backup alert").doesNotContain("FortressBackupTooOld")
                .doesNotContain("FortressNoBackupYet");

        Node replica = embedded().replicas().get(1);
        replica.stop();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            long stoppedAt = System.nanoTime();
            while (!dom.contains("data-node=\"replica-2\" data-state=\"UNREACHABLE\"") && System.nanoTime() < deadline) {
                Thread.sleep(500);
                dom = Chromium.dumpDom(url, work);
            }
            assertThat(dom).as("replica-2 shown UNREACHABLE within 20 s").contains("data-node=\"replica-2\" data-state=\"UNREACHABLE\"");
            assertThat(dom).contains("data-node=\"replica-1\" data-state=\"STREAMING\"").contains("id=\"overall\">UP<");
            System.out.printf("status page showed the stopped replica after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt));
            Path shot = Path.of("target", "status-page.png");
            Chromium.screenshot(url, shot, work, 1100, 1000);
            assertThat(Files.size(shot)).isGreaterThan(10_000);
        } finally {
            replica.start();
        }
    }

    /** The value of serve's backup meter (with result={@code result} when not null) of the database fortress. */
    private static double backupMeter(String name, String result) throws Exception {
        return PrometheusText.parse(FortressProcess.get(port, "/metrics").body()).samples(name).stream()
                .filter(s -> result == null || result.equals(s.labels().get("result"))).mapToDouble(PrometheusText.Sample::value)
                .findFirst().orElseThrow(() -> new AssertionError("serve exports no " + name));
    }

    private static LocalCluster embedded() {
        return LocalCluster.builder().replicas(2).dataDirectory(dataDir.resolve("cluster")).build().inspect();
    }

    private static long primaryQueries() throws Exception {
        FortressProcess.Result stats = FortressProcess.run(env, work, "stats");
        assertThat(stats.exitCode()).as(stats.err()).isZero();
        return JSON.readTree(stats.out()).get("metrics").get("primary_queries").asLong();
    }

    private static long expiredIndicators() throws Exception {
        return Long.parseLong(embedded().primary().queryValue("SELECT count(*) FROM cdefnet.iocs WHERE expires_at <= now()"));
    }

    private static void awaitStatus(String path, int status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            last = FortressProcess.get(port, path).statusCode();
            if (last == status) {
                return;
            }
            Thread.sleep(250);
        }
        assertThat(last).as(path + " status after " + timeout.toSeconds() + " s").isEqualTo(status);
    }

    /** The meters (fortress_*, hikaricp_*) the alert rules and the Grafana dashboard's queries name. */
    static java.util.Set<String> metersUsed() throws Exception {
        java.util.Set<String> meters = new java.util.TreeSet<>();
        List<String> texts = new java.util.ArrayList<>(GrafanaDashboardTest.expressions());
        texts.add(Files.readString(Promtool.RULES.resolve("fortress-rules.yml")));
        for (String text : texts) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b((?:fortress|hikaricp)_[a-z_]+)").matcher(text);
            while (m.find()) {
                meters.add(m.group(1));
            }
        }
        return meters;
    }
}
