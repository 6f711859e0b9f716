package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.api.Consistency;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeState;
import io.fortress.db.api.ReplicaFallback;
import io.fortress.db.api.RowMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real replication lag on real replicas (replay delayed with recovery_min_apply_delay, or paused) and
 * what routing does with it: replicas leave rotation as LAGGING, come back through CATCHING_UP,
 * DB_REPLICA_FALLBACK=least-lagged, and a read-your-writes read served by a replica that catches up
 * within DB_READ_YOUR_WRITES_WAIT. Each test undoes the delays and pauses it set.
 */
class ReplicationLagTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.of(b -> b.replicas(2).setting("autovacuum", "off"));

    private static final RowMapper<Integer> PORT = RowMapper.column(1, Integer.class);

    @BeforeAll
    static void tables() {
        CLUSTER.cluster().primary().execute("CREATE TABLE ticks(id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
        CLUSTER.cluster().awaitReplication(Duration.ofSeconds(30));
    }

    @AfterEach
    void replayAsUsual() {
        for (Node replica : CLUSTER.cluster().replicas()) {
            replica.resumeReplay();
            setApplyDelay(replica, null);
        }
        CLUSTER.cluster().awaitReplication(Duration.ofSeconds(90));
    }

    @Test
    void aReplicaFallingBehindLeavesRotationAsLaggingAndReturnsThroughCatchingUp() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        Node late = cluster.replica(1);
        int latePort = late.port();
        int otherPort = cluster.replica(2).port();
        DbConfig config = TestDatabases.config(cluster).maxReplicaLag(Duration.ofSeconds(2)).build();
        try (Database db = Database.open(config); StateLog states = new StateLog(db, 1)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> replica(db, 1).state() == NodeState.STREAMING);
            // every commit reaches replica 1 20 s late: while writes flow its replay is stuck behind the first of them
            setApplyDelay(late, "20s");
            ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
            AtomicInteger writes = new AtomicInteger();
            writer.scheduleAtFixedRate(() -> {
                cluster.primary().execute("INSERT INTO ticks DEFAULT VALUES");
                writes.incrementAndGet();
            }, 0, 100, TimeUnit.MILLISECONDS);
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> replica(db, 1).state() == NodeState.LAGGING);
                assertThat(replica(db, 1).reason()).contains("over the maximum lag of 2s");
                for (int i = 0; i < 50; i++) {
                    assertThat(port(db)).as("a default read while replica 1 is LAGGING").isEqualTo(otherPort);
                }
            } finally {
                writer.shutdownNow();
                assertThat(writer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(writes.get()).as("writes while replica 1 fell behind").isGreaterThan(20);

            // 20 s after the first delayed commit, replay moves again, commit by commit: it gains ground
            await().atMost(Duration.ofSeconds(60)).until(() -> replica(db, 1).state() == NodeState.CATCHING_UP);
            assertThat(replica(db, 1).reason()).contains("gaining ground");
            int readsWhileCatchingUp = 0;
            while (replica(db, 1).state() == NodeState.CATCHING_UP && readsWhileCatchingUp < 50) {
                int port = port(db);
                if (replica(db, 1).state() == NodeState.CATCHING_UP) { // the read began and ended while it was so
                    assertThat(port).as("a default read while replica 1 is CATCHING_UP").isEqualTo(otherPort);
                    readsWhileCatchingUp++;
                }
            }

            await().atMost(Duration.ofSeconds(60)).until(() -> replica(db, 1).state() == NodeState.STREAMING);
            await().atMost(Duration.ofSeconds(10)).until(() -> port(db) == latePort);
            assertThat(states.seen()).as("replica 1's states in order").containsSubsequence(
                    NodeState.STREAMING, NodeState.LAGGING, NodeState.CATCHING_UP, NodeState.STREAMING);
            assertThat(states.seen()).as("it was never in any other state").containsOnly(
                    NodeState.STREAMING, NodeState.LAGGING, NodeState.CATCHING_UP);
        }
    }

    @Test
    void withLeastLaggedFallbackReadsGoToTheNearestReplicaWithinTheFallbackLag() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        Node far = cluster.replica(1);
        Node near = cluster.replica(2);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DbConfig.Builder config = TestDatabases.config(cluster).maxReplicaLag(Duration.ofSeconds(2));
        // opened first: its lag figures count from when it saw the primary pass each replica's position
        try (Database leastLagged = Database.open(config.replicaFallback(ReplicaFallback.LEAST_LAGGED).maxFallbackLag(Duration.ofMinutes(1))
                .build(), registry)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> leastLagged.nodes().stream().allMatch(n -> n.state().isGood()));
            // replica 1 stops replaying now; replica 2 three seconds later: both fall behind, replica 2 by 3 s less
            far.pauseReplay();
            cluster.primary().execute("INSERT INTO ticks DEFAULT VALUES");
            Thread.sleep(3000);
            near.awaitReplayOf(cluster.primary(), Duration.ofSeconds(30));
            setApplyDelay(near, "5min");
            cluster.primary().execute("INSERT INTO ticks DEFAULT VALUES");

            await().atMost(Duration.ofSeconds(30)).until(() -> replica(leastLagged, 1).state() == NodeState.REPLAY_PAUSED
                    && replica(leastLagged, 2).state() == NodeState.LAGGING);
            assertThat(replica(leastLagged, 2).lagSeconds()).as("replica 2's lag").isLessThan(replica(leastLagged, 1).lagSeconds() - 1);
            double before = registry.get("fortress.db.read.reroutes").tag("reason", "least_lagged").functionCounter().count();
            for (int i = 0; i < 50; i++) {
                assertThat(port(leastLagged)).as("a default read with no replica in rotation").isEqualTo(near.port());
            }
            assertThat(registry.get("fortress.db.read.reroutes").tag("reason", "least_lagged").functionCounter().count() - before)
                    .isEqualTo(50);
        }
        try (Database toPrimary = Database.open(config.replicaFallback(ReplicaFallback.PRIMARY).build())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> toPrimary.nodes().stream().skip(1).noneMatch(n -> n.state().isGood()));
            for (int i = 0; i < 20; i++) {
                assertThat(port(toPrimary)).as("the default fallback: the primary").isEqualTo(cluster.primary().port());
            }
        }
        try (Database tooFar = Database.open(config.replicaFallback(ReplicaFallback.LEAST_LAGGED).maxFallbackLag(Duration.ofSeconds(1))
                .build())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> tooFar.nodes().stream().skip(1).noneMatch(n -> n.state().isGood()));
            for (int i = 0; i < 20; i++) {
                assertThat(port(tooFar)).as("both replicas lag more than DB_MAX_FALLBACK_LAG").isEqualTo(cluster.primary().port());
            }
        }
    }

    @Test
    void aReadYourWritesReadIsServedByAReplicaThatCatchesUpWithinTheWait() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.replicas().forEach(Node::pauseReplay);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DbConfig config = TestDatabases.config(cluster).readYourWritesWait(Duration.ofSeconds(30)).build();
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (Database db = Database.open(config, registry)) {
            long id = db.queryOne("INSERT INTO ticks DEFAULT VALUES RETURNING id", RowMapper.firstLong()).orElseThrow();
            ConsistencyToken token = ConsistencyToken.parse(db.consistencyToken().toString());
            long start = System.nanoTime();
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> db.queryOne(Consistency.readYourWrites(token),
                    "SELECT inet_server_port() FROM ticks WHERE id = ?", PORT, id).orElseThrow(), reader);
            Thread.sleep(2000);
            assertThat(read).as("no replica has replayed the write: the read waits").isNotDone();
            cluster.replica(2).resumeReplay();
            assertThat(read.get(25, TimeUnit.SECONDS)).as("the replica that caught up served it").isEqualTo(cluster.replica(2).port());
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("within DB_READ_YOUR_WRITES_WAIT").isLessThan(Duration.ofSeconds(30));
            assertThat(registry.get("fortress.db.read.reroutes").tag("reason", "token_not_replayed").functionCounter().count())
                    .as("reads sent to the primary for want of a replica").isZero();
        } finally {
            reader.shutdownNow();
        }
    }

    /** Sets (or with null resets) a replica's recovery_min_apply_delay and waits until its sessions see the new value. */
    private static void setApplyDelay(Node replica, String delay) {
        replica.execute(delay == null ? "ALTER SYSTEM RESET recovery_min_apply_delay"
                : "ALTER SYSTEM SET recovery_min_apply_delay = '" + delay + "'");
        replica.execute("SELECT pg_reload_conf()");
        String expected = delay == null ? "0" : delay;
        await().atMost(Duration.ofSeconds(10)).until(() -> expected.equals(replica.queryValue("SHOW recovery_min_apply_delay")));
    }

    private static NodeHealth replica(Database db, int n) {
        return db.nodes().get(n);
    }

    private static int port(Database db) {
        return db.queryOne("SELECT inet_server_port()", PORT).orElseThrow();
    }

    /** A replica's reported states, polled every 50 ms, each change recorded once. */
    private static final class StateLog implements AutoCloseable {
        private final List<NodeState> seen = new ArrayList<>();
        private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor();

        StateLog(Database db, int replica) {
            poller.scheduleAtFixedRate(() -> {
                NodeState state = db.nodes().get(replica).state();
                synchronized (seen) {
                    if (seen.isEmpty() || seen.get(seen.size() - 1) != state) {
                        seen.add(state);
                    }
                }
            }, 0, 50, TimeUnit.MILLISECONDS);
        }

        List<NodeState> seen() {
            synchronized (seen) {
                return List.copyOf(seen);
            }
        }

        @Override
        public void close() throws InterruptedException {
            poller.shutdownNow();
            poller.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
