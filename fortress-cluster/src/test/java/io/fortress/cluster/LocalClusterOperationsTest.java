package io.fortress.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operations that break a cluster; each test has its own. */
class LocalClusterOperationsTest {

    @Test
    void stopStartKillAndRestartEachNode() {
        try (LocalCluster cluster = LocalCluster.builder().replicas(1).start()) {
            Node replica = cluster.replica(1);
            replica.stop();
            assertThat(replica.isRunning()).isFalse();
            replica.start();
            cluster.awaitStreaming(replica, Duration.ofSeconds(30));

            long pid = replica.postmasterPid().orElseThrow();
            List<ProcessHandle> processes = ProcessHandle.of(pid).orElseThrow().descendants().toList();
            replica.kill();
            assertThat(replica.isRunning()).isFalse();
            assertThat(processes).noneMatch(Processes::isAlive);
            replica.start();
            cluster.awaitStreaming(replica, Duration.ofSeconds(30));

            cluster.primary().restart();
            cluster.primary().execute("CREATE TABLE after_restart(id int)");
            cluster.awaitStreaming(replica, Duration.ofSeconds(30));
            cluster.awaitReplication(Duration.ofSeconds(30));
            assertThat(replica.queryValue("SELECT count(*) FROM after_restart")).isEqualTo("0");
        }
    }

    @Test
    void aFrozenNodeAcceptsConnectionsButAnswersNothingUntilThawed() throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().replicas(1).start()) {
            Node replica = cluster.replica(1);
            long pid = replica.postmasterPid().orElseThrow();
            replica.freeze();
            assertThat(replica.isFrozen()).isTrue();
            assertThat(processState(pid)).isEqualTo('T');
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(Node.HOST, replica.port()), 2000); // the kernel still accepts
                socket.setSoTimeout(500);
                socket.getOutputStream().write(new byte[] {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x2f}); // SSLRequest
                assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(java.net.SocketTimeoutException.class);
            }
            replica.thaw();
            assertThat(replica.isFrozen()).isFalse();
            assertThat(replica.queryValue("SELECT 1")).isEqualTo("1");

            replica.freeze();
            replica.stop(); // thaws first, then shuts down cleanly
            assertThat(replica.isRunning()).isFalse();
            replica.start();
            cluster.awaitStreaming(replica, Duration.ofSeconds(30));
        }
    }

    private static char processState(long pid) throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    @Test
    void pausedReplayHoldsBackOnlyThatReplica() {
        try (LocalCluster cluster = LocalCluster.builder().replicas(2).start()) {
            Node paused = cluster.replica(1);
            paused.pauseReplay();
            assertThat(paused.queryValue("SELECT pg_get_wal_replay_pause_state()")).isIn("paused", "pause requested");
            cluster.primary().execute("CREATE TABLE during_pause AS SELECT generate_series(1, 1000) AS id");
            cluster.replica(2).awaitReplayOf(cluster.primary(), Duration.ofSeconds(30));
            assertThat(cluster.replica(2).queryValue("SELECT count(*) FROM during_pause")).isEqualTo("1000");
            assertThatThrownBy(() -> paused.queryValue("SELECT count(*) FROM during_pause")).hasMessageContaining("does not exist");

            paused.resumeReplay();
            paused.awaitReplayOf(cluster.primary(), Duration.ofSeconds(30));
            assertThat(paused.queryValue("SELECT count(*) FROM during_pause")).isEqualTo("1000");
        }
    }

    @Test
    void promotedReplicaAcceptsWrites() {
        try (LocalCluster cluster = LocalCluster.builder().replicas(1).start()) {
            Node replica = cluster.replica(1);
            replica.promote();
            assertThat(replica.isStandby()).isFalse();
            assertThat(replica.queryValue("SELECT pg_is_in_recovery()")).isEqualTo("f");
            replica.execute("CREATE TABLE written_after_promotion(id int)");
        }
    }

    @Test
    void followingADeadPortStopsTheWalReceiver() {
        try (LocalCluster cluster = LocalCluster.builder().replicas(1).start()) {
            Node replica = cluster.replica(1);
            replica.followPort(1); // nothing listens on port 1
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String status;
            do {
                Node.sleep(200);
                status = replica.queryValue("SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')");
            } while ("streaming".equals(status) && System.nanoTime() < deadline);
            assertThat(status).isNotEqualTo("streaming");
            replica.followPort(cluster.primary().port());
            cluster.awaitStreaming(replica, Duration.ofSeconds(30));
        }
    }

    @Test
    void throwAwayClusterLeavesNothingBehind() {
        LocalCluster cluster = LocalCluster.builder().replicas(1).start();
        Path root = cluster.rootDirectory();
        List<ProcessHandle> postmasters = cluster.nodes().stream()
                .map(n -> ProcessHandle.of(n.postmasterPid().orElseThrow()).orElseThrow()).toList();
        cluster.stop();
        assertThat(postmasters).noneMatch(Processes::isAlive);
        assertThat(root).doesNotExist();
    }

    @Test
    void persistentClusterKeepsDataPortsAndPassword(@TempDir Path tmp) throws Exception {
        Path dataDir = reachableDirectory(tmp);
        int primaryPort;
        String password;
        try (LocalCluster cluster = LocalCluster.builder().replicas(1).dataDirectory(dataDir).start()) {
            cluster.primary().execute("CREATE TABLE kept(v text); INSERT INTO kept VALUES ('still here')");
            primaryPort = cluster.primary().port();
            password = cluster.password();
        }
        assertThat(dataDir.resolve("primary")).isDirectory();
        try (LocalCluster again = LocalCluster.builder().replicas(1).dataDirectory(dataDir).start()) {
            assertThat(again.primary().port()).isEqualTo(primaryPort);
            assertThat(again.password()).isEqualTo(password);
            assertThat(again.primary().queryValue("SELECT v FROM kept")).isEqualTo("still here");
            again.awaitReplication(Duration.ofSeconds(30));
            assertThat(again.replica(1).queryValue("SELECT v FROM kept")).isEqualTo("still here");
        }
        assertThatThrownBy(() -> LocalCluster.builder().replicas(2).dataDirectory(dataDir).start())
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("was created with superuser postgres, database fortress and 1 replicas");
    }

    @Test
    void aDetachedClusterOutlivesItsStarterAndIsStoppedByAnother(@TempDir Path tmp) throws Exception {
        Path dataDir = reachableDirectory(tmp);
        try {
            LocalCluster starter = LocalCluster.builder().replicas(1).dataDirectory(dataDir).detached(true).start();
            List<Node> nodes = starter.nodes();
            starter.stop(); // it started the nodes, so it stops them...
            assertThat(nodes).noneMatch(Node::isRunning);

            starter = LocalCluster.builder().replicas(1).dataDirectory(dataDir).detached(true).start();
            // ...but a second instance that finds them running leaves them running when it stops
            try (LocalCluster user = LocalCluster.builder().replicas(1).dataDirectory(dataDir).start()) {
                user.primary().execute("CREATE TABLE IF NOT EXISTS shared(v int)");
            }
            assertThat(starter.nodes()).allMatch(Node::isRunning);

            LocalCluster stopper = LocalCluster.builder().replicas(1).dataDirectory(dataDir).build().inspect();
            assertThat(stopper.nodes()).extracting(Node::port).containsExactlyElementsOf(starter.nodes().stream().map(Node::port).toList());
            assertThat(stopper.password()).isEqualTo(starter.password());
            stopper.stopAll();
            assertThat(starter.nodes()).noneMatch(Node::isRunning);
            assertThatThrownBy(() -> LocalCluster.builder().dataDirectory(tmp.resolve("empty")).build().inspect())
                    .hasMessageContaining("no local cluster in");
        } finally {
            // detached servers have neither a watchdog nor a shutdown hook: stop whatever a failed assertion left running
            LocalCluster leftover = LocalCluster.builder().replicas(1).dataDirectory(dataDir).build();
            if (leftover.exists()) {
                leftover.stopAll();
            }
        }
    }

    @RequiresTool(Tool.PGBOUNCER)
    @Test
    void serversAndTheirPgBouncersEndWhenTheJvmIsKilled() throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Path log = Files.createTempFile("fortress-cluster-child", ".log");
        Process child = null;
        List<ProcessHandle> postmasters = List.of();
        try {
            child = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                    ClusterChildMain.class.getName()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            String rootLine = null;
            String pidsLine = null;
            long startDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (pidsLine == null && child.isAlive() && System.nanoTime() < startDeadline) {
                Thread.sleep(100);
                for (String line : Files.readAllLines(log)) {
                    if (line.startsWith("ROOT ")) {
                        rootLine = line.substring(5);
                    } else if (line.startsWith("PIDS ")) {
                        pidsLine = line.substring(5);
                    }
                }
            }
            assertThat(pidsLine).as("child cluster started: " + Files.readString(log)).isNotNull();
            postmasters = java.util.Arrays.stream(pidsLine.split(","))
                    .map(p -> ProcessHandle.of(Long.parseLong(p)).orElseThrow()).toList();
            assertThat(postmasters).allMatch(Processes::isAlive);

            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hook runs

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (postmasters.stream().anyMatch(Processes::isAlive) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(postmasters).noneMatch(Processes::isAlive);
            Path root = Path.of(rootLine);
            while (Files.exists(root) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(root).doesNotExist();
        } finally {
            if (child != null) {
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            // no-ops when the watchdog did its work; if it did not, the servers must not outlive the test either
            postmasters.stream().filter(Processes::isAlive).forEach(ProcessHandle::destroyForcibly);
            Files.deleteIfExists(log);
        }
    }

    /** A temporary folder the server user can reach even when the JUnit temp folder is root-only. */
    static Path reachableDirectory(Path tmp) throws Exception {
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return tmp.resolve("cluster");
    }
}
