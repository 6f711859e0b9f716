package io.fortress.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A real Patroni cluster: it comes up, lists its members, switches over, fails over, and leaves no process behind. */
@RequiresTool({Tool.PATRONI, Tool.ETCD})
class PatroniClusterTest {
    @Test
    void startsSwitchesOverFailsOverAndEndsEveryProcess() throws Exception {
        List<ProcessHandle> started;
        try (PatroniCluster cluster = PatroniCluster.builder().members(3).tags("member-3", Map.of("noloadbalance", true)).start()) {
            List<PatroniCluster.Member> members = cluster.members();
            assertThat(members).extracting(PatroniCluster.Member::name).containsExactlyInAnyOrder("member-1", "member-2", "member-3");
            assertThat(members).filteredOn(PatroniCluster.Member::isLeader).hasSize(1);
            assertThat(cluster.member("member-3").tags()).containsEntry("noloadbalance", true);
            PatroniCluster.Member leader = cluster.leader();
            assertThat(isInRecovery(cluster, leader.name())).isFalse();
            members.stream().filter(m -> !m.isLeader()).forEach(m -> assertThat(isInRecovery(cluster, m.name())).isTrue());
            started = ProcessHandle.current().children().toList(); // etcd and the agents (servers are their children)

            String candidate = members.stream().filter(m -> !m.isLeader()).findFirst().orElseThrow().name();
            cluster.switchover(candidate);
            // Patroni lists the new timeline a loop after the promotion
            cluster.awaitMember(m -> m.isLeader() && m.name().equals(candidate) && m.timeline() != null && m.timeline() > leader.timeline(),
                    "the candidate to lead on a new timeline", Duration.ofSeconds(30));
            assertThat(isInRecovery(cluster, candidate)).isFalse();
            cluster.awaitStreaming(Duration.ofSeconds(60));

            // frozen: TCP still accepted, nothing answers; thawed: it answers again
            cluster.freeze(leader.name());
            try {
                // the connection attempt times out (SQLSTATE class 08), not an answer of any kind
                Throwable frozen = org.assertj.core.api.Assertions.catchThrowable(() -> isInRecovery(cluster, leader.name()));
                assertThat(frozen).as("a frozen server answers nothing").isInstanceOf(AssertionError.class)
                        .hasCauseInstanceOf(java.sql.SQLException.class);
                assertThat(((java.sql.SQLException) frozen.getCause()).getSQLState()).as(frozen.getCause().toString()).startsWith("08");
            } finally {
                cluster.thaw(leader.name());
            }
            assertThat(isInRecovery(cluster, leader.name())).isTrue();

            // unplanned: the leader's agent and server die; the leader key expires (ttl 10 s) and another takes over
            cluster.stopAgent(candidate);
            cluster.killPostmaster(candidate);
            PatroniCluster.Member after = cluster.awaitMember(m -> m.isLeader() && !m.name().equals(candidate), "a new leader",
                    Duration.ofSeconds(60));
            // Patroni lists the leader as soon as it holds the key, a moment before the promotion ends
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !isInRecovery(cluster, after.name()));
            cluster.startAgent(candidate);
            cluster.awaitStreaming(Duration.ofSeconds(90));
            assertThat(isInRecovery(cluster, candidate)).as("the old leader rejoined as a replica").isTrue();
        }
        Set<Long> alive = started.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).collect(Collectors.toSet());
        assertThat(alive).as("processes left running").isEmpty();
    }

    @Test
    void everyProcessEndsAndTheFolderGoesWhenTheJvmIsKilled() throws Exception {
        Path log = Files.createTempFile("fortress-patroni-child", ".log");
        Process child = null;
        List<ProcessHandle> processes = List.of();
        try {
            child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), PatroniChildMain.class.getName())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            String root = null;
            String pids = null;
            long startDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (pids == null && child.isAlive() && System.nanoTime() < startDeadline) {
                Thread.sleep(200);
                for (String line : Files.readAllLines(log)) {
                    if (line.startsWith("ROOT ")) {
                        root = line.substring(5);
                    } else if (line.startsWith("PIDS ")) {
                        pids = line.substring(5);
                    }
                }
            }
            assertThat(pids).as("child cluster started: " + Files.readString(log)).isNotNull();
            processes = Arrays.stream(pids.split(",")).map(p -> ProcessHandle.of(Long.parseLong(p)))
                    .filter(java.util.Optional::isPresent).map(java.util.Optional::get).toList();
            assertThat(processes.size()).as("etcd, the agent, its server's processes").isGreaterThan(3);

            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: close() never runs

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ((processes.stream().anyMatch(Processes::isAlive) || Files.exists(Path.of(root))) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(processes.stream().filter(Processes::isAlive).map(ProcessHandle::pid).toList()).as("processes left running").isEmpty();
            assertThat(Path.of(root)).as("the cluster's folder").doesNotExist();
        } finally {
            if (child != null) {
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            processes.stream().filter(Processes::isAlive).forEach(ProcessHandle::destroyForcibly); // if the watchdog failed
            Files.deleteIfExists(log);
        }
    }

    private static boolean isInRecovery(PatroniCluster cluster, String member) {
        try (Connection c = cluster.connect(member); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1);
        } catch (java.sql.SQLException e) {
            throw new AssertionError("cannot ask " + member + ": " + e.getMessage(), e);
        }
    }
}
