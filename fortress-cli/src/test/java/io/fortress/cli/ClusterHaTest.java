package io.fortress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.PatroniCluster;
import io.fortress.cluster.RequiresTool;
import io.fortress.cluster.Tool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code fortress cluster start --ha}: a real Patroni cluster (Debian's patroni and etcd-server) that outlives the
 * command which started it, a switchover by hand with patronictl that {@code cluster status} and fortress follow,
 * and {@code cluster stop}, after which none of its processes runs.
 */
@RequiresTool({Tool.PATRONI, Tool.ETCD})
class ClusterHaTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path work;
    private Map<String, String> env;

    @BeforeEach
    void dataDir() throws Exception {
        work = Files.createTempDirectory("fortress-cluster-ha");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x")); // the server user must reach it
        env = FortressProcess.environment(work.resolve("data"), FortressProcess.freePort());
    }

    @AfterEach
    void stopAndDelete() throws Exception {
        if (work == null) {
            return;
        }
        if (EmbeddedCluster.haExists(env)) {
            EmbeddedCluster.ha(env).stop();
        }
        if (Files.exists(EmbeddedCluster.clusterDir(env))) {
            EmbeddedCluster.builder(env).build().inspect().stopAll();
        }
        try (var paths = Files.walk(work)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void outlivesItsCommandFailsOverByHandWithPatronictlAndStopsCompletely() throws Exception {
        // started by a JVM of its own, which exits: the cluster keeps running
        Result start = fortressJvm("cluster", "start", "--ha");
        assertThat(start.status()).as(start.out() + start.err()).isZero();
        Path dir = EmbeddedCluster.haDir(env);
        String ctlConfig = dir.resolve("patronictl.yml").toString();
        assertThat(start.out()).contains("created and started a Patroni cluster").contains("leader")
                .contains("patronictl -c " + ctlConfig + " list").contains("switchover").contains("cluster env");

        PatroniCluster cluster = EmbeddedCluster.ha(env);
        assertThat(cluster.daemons()).as("etcd and the agents outlive the command").hasSize(4).allMatch(PatroniCluster.Daemon::running);
        Set<Long> pids = processesOf(cluster);

        CliRun again = CliRun.of(env, "cluster", "start", "--ha");
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.out()).contains("already runs; nothing started");
        assertThat(processesOf(EmbeddedCluster.ha(env))).as("nothing new started").isEqualTo(pids);

        JsonNode status = statusJson(0);
        String leader = leader(status);
        List<String> replicas = new ArrayList<>();
        status.get("members").forEach(m -> {
            if (m.get("role").asText().equals("replica")) {
                replicas.add(m.get("name").asText());
            }
        });
        assertThat(replicas).hasSize(2).doesNotContain(leader);
        CliRun text = CliRun.of(env, "cluster", "status");
        assertThat(text.status()).as(text.out()).isZero();
        assertThat(text.out()).contains(leader).contains("leader").contains("replica").contains("etcd").contains(ctlConfig);

        // the embedded cluster cannot share the data directory, and a plain command says what to do instead
        CliRun plain = CliRun.of(env, "cluster", "start");
        assertThat(plain.status()).isEqualTo(1);
        assertThat(plain.err()).contains("holds a Patroni cluster").contains("cluster start --ha").contains("FORTRESS_DATA_DIR");
        CliRun unpointed = CliRun.of(env, "migrate", "up");
        assertThat(unpointed.status()).isEqualTo(1);
        assertThat(unpointed.err()).contains("holds a Patroni cluster").contains("cluster env");
        assertThat(EmbeddedCluster.clusterDir(env)).as("no embedded cluster made beside it").doesNotExist();
        CliRun both = CliRun.of(env, "cluster", "start", "--ha", "--pgbouncer");
        assertThat(both.status()).isEqualTo(2);
        assertThat(both.err()).contains("--pgbouncer cannot be combined with --ha");

        // cluster env points fortress at it through Patroni
        Map<String, String> exported = exports(CliRun.of(env, "cluster", "env").out());
        assertThat(exported).containsEntry("DB_PATRONI_URL", String.join(",", cluster.restUrls()))
                .containsEntry("PGPASSWORD", cluster.password()).containsEntry("PGTARGETSESSIONATTRS", "read-write")
                .doesNotContainKeys("DB_HOST", "DB_PASSWORD_FILE");
        Map<String, String> pointed = new HashMap<>(env);
        pointed.putAll(exported);
        CliRun up = CliRun.of(pointed, "migrate", "up");
        assertThat(up.status()).as(up.err()).isZero();
        assertThat(up.err()).as("nothing started for it").doesNotContain("started");
        CliRun version = CliRun.of(pointed, "migrate", "version");
        assertThat(version.status()).as(version.err()).isZero();
        assertThat(health(pointed)).as("fortress writes where Patroni leads").isEqualTo(leader);

        // a switchover by hand, as the start message says; status and fortress follow it
        String candidate = replicas.get(0);
        Process ctl = new ProcessBuilder("patronictl", "-c", ctlConfig, "switchover", "--candidate", candidate, "--force")
                .redirectErrorStream(true).start();
        assertThat(ctl.waitFor(2, TimeUnit.MINUTES)).isTrue();
        String ctlOut = new String(ctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ctl.exitValue()).as(ctlOut).isZero();
        await("cluster status to list " + candidate + " as the leader of three running members", Duration.ofSeconds(90), () -> {
            JsonNode now = statusJson(null);
            return candidate.equals(leader(now)) && countRunning(now) == 3;
        });
        await("fortress health to find the primary on " + candidate, Duration.ofSeconds(60), () -> candidate.equals(health(pointed)));
        assertThat(CliRun.of(pointed, "migrate", "version").status()).isZero();

        // stop: every process ends; the data stay, and the next start has the last leader lead again
        CliRun stop = CliRun.of(env, "cluster", "stop");
        assertThat(stop.status()).as(stop.err()).isZero();
        assertThat(stop.out()).contains("stopped the Patroni cluster");
        assertNothingRuns(pids, dir);
        CliRun stopped = CliRun.of(env, "cluster", "status");
        assertThat(stopped.status()).isEqualTo(1);
        assertThat(stopped.out()).contains("not running").contains("cluster start --ha");
        CliRun refused = CliRun.of(pointed, "migrate", "version");
        assertThat(refused.status()).isEqualTo(1);
        assertThat(refused.err()).contains("is stopped").contains("cluster start --ha");
        Map<String, String> elsewhere = new HashMap<>(pointed);
        elsewhere.put("FORTRESS_DATA_DIR", work.resolve("other").toString());
        CliRun unreachable = CliRun.of(elsewhere, "migrate", "version");
        assertThat(unreachable.status()).as(unreachable.err()).isEqualTo(1);
        assertThat(unreachable.err()).contains("DB_PATRONI_URL came from eval").contains("unset DB_PATRONI_URL");

        CliRun restart = CliRun.of(env, "cluster", "start", "--ha");
        assertThat(restart.status()).as(restart.out() + restart.err()).isZero();
        assertThat(restart.out()).contains("started the Patroni cluster in");
        assertThat(leader(statusJson(0))).as("the member that led at the stop leads again").isEqualTo(candidate);
        assertThat(CliRun.of(pointed, "migrate", "version").status()).as("the data were kept").isZero();
        Set<Long> restarted = processesOf(EmbeddedCluster.ha(env));
        assertThat(CliRun.of(env, "cluster", "stop").status()).isZero();
        assertNothingRuns(restarted, dir);
    }

    @Test
    void refusesToShareADataDirectoryWithTheEmbeddedCluster() {
        CliRun embedded = CliRun.of(env, "cluster", "start");
        assertThat(embedded.status()).as(embedded.err()).isZero();
        CliRun ha = CliRun.of(env, "cluster", "start", "--ha");
        assertThat(ha.status()).isEqualTo(1);
        assertThat(ha.err()).contains("holds the embedded cluster").contains("FORTRESS_DATA_DIR=")
                .contains("bin/fortress cluster stop");
        assertThat(EmbeddedCluster.haDir(env)).as("nothing made").doesNotExist();
        assertThat(CliRun.of(env, "cluster", "stop").status()).isZero();
    }

    /**
     * etcd, the agents, and every server process (Patroni starts each postmaster in a session of its own, so it is
     * found through its postmaster.pid), as running now.
     */
    private static Set<Long> processesOf(PatroniCluster cluster) throws Exception {
        Set<Long> pids = new TreeSet<>();
        for (PatroniCluster.Daemon d : cluster.daemons()) {
            pids.add(d.pid());
            ProcessHandle.of(d.pid()).ifPresent(p -> p.descendants().forEach(c -> pids.add(c.pid())));
        }
        for (String member : cluster.memberNames()) {
            long postmaster = Long.parseLong(Files.readAllLines(cluster.rootDirectory().resolve(member).resolve("postmaster.pid")).get(0).strip());
            pids.add(postmaster);
            ProcessHandle.of(postmaster).ifPresent(p -> p.descendants().forEach(c -> pids.add(c.pid())));
        }
        return pids;
    }

    private static void assertNothingRuns(Set<Long> pids, Path dir) {
        assertThat(pids.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
                && !isZombie(pid)).toList()).as("processes of the cluster left running").isEmpty();
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(dir.toString()))
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList()).as("processes naming " + dir).isEmpty();
    }

    private static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (Exception gone) {
            return true;
        }
    }

    /** cluster status --json; {@code expected} the exit status to insist on, or null for any. */
    private JsonNode statusJson(Integer expected) throws Exception {
        CliRun run = CliRun.of(env, "cluster", "status", "--json");
        if (expected != null) {
            assertThat(run.status()).as(run.out() + run.err()).isEqualTo(expected);
        }
        return JSON.readTree(run.out());
    }

    private static String leader(JsonNode status) {
        for (JsonNode m : status.get("members")) {
            if ("leader".equals(m.path("role").asText())) {
                return m.get("name").asText();
            }
        }
        return null;
    }

    private static int countRunning(JsonNode status) {
        int n = 0;
        for (JsonNode m : status.get("members")) {
            String state = m.path("state").asText();
            n += state.equals("running") || state.equals("streaming") ? 1 : 0;
        }
        return n;
    }

    /** The member fortress health --json reports as its primary (UP), or null. */
    private static String health(Map<String, String> pointed) throws Exception {
        CliRun run = CliRun.of(pointed, "health", "--json");
        assertThat(run.status()).as(run.out() + run.err()).isZero();
        JsonNode nodes = JSON.readTree(run.out()).get("nodes");
        assertThat(nodes).as(run.out()).hasSize(3);
        for (JsonNode n : nodes) {
            if ("primary".equals(n.get("role").asText()) && "UP".equals(n.get("state").asText())) {
                return n.get("name").asText();
            }
        }
        return null;
    }

    private static Map<String, String> exports(String text) {
        Map<String, String> exported = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^export (\\w+)='(.*)'$").matcher(text);
        while (m.find()) {
            exported.put(m.group(1), m.group(2));
        }
        return exported;
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void await(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(1000);
        }
    }

    private record Result(int status, String out, String err) {
    }

    /** The fortress command in a JVM of its own (the test's class path), as an operator runs it; waits for it to exit. */
    private Result fortressJvm(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), FortressCommand.class.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "cmd", ".out");
        Path err = Files.createTempFile(work, "cmd", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        FortressProcess.isolate(pb, env);
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new IllegalStateException("fortress " + String.join(" ", args) + " did not finish");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
