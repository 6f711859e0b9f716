package io.fortress.db;

import io.fortress.db.api.Consistency;
import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.db.api.NodeState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Gray failures under concurrent load: a node frozen with SIGSTOP (the kernel still accepts TCP,
 * nothing answers), a node returning with an empty pool, and replicas whose replay is paused. Every
 * test breaks a cluster of its own; stopping the cluster thaws what was frozen, even after a failure.
 */
class GrayFailureTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /**
     * A caller's worst latency under a hung node: about 2 × DB_HEALTH_TIMEOUT, plus slack for a loaded
     * 2-core machine. Without the abort, such a caller waited 14 s and more.
     */
    private static final Duration WORST_CALL = TIMEOUT.multipliedBy(3);
    /**
     * The slowest call allowed while a node is hung: the worst call, doubled, as a stall of the loaded
     * machine (seen: 3.4 s without any scheduling) can land on any call of a long window.
     */
    private static final Duration SLOWEST_CALL = WORST_CALL.multipliedBy(2);
    /**
     * How long a fault lasts at least: twice the slowest call allowed, so that a call stuck until the
     * fault ends takes clearly longer and fails the latency checks.
     */
    private static final Duration FAULT_HELD = SLOWEST_CALL.multipliedBy(2);

    private LocalCluster cluster;

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    private DbConfig.Builder config() {
        return TestDatabases.config(cluster).healthInterval(TIMEOUT).healthTimeout(TIMEOUT).connectTimeout(Duration.ofSeconds(10));
    }

    private void startClusterWithTable() {
        cluster = LocalCluster.builder().replicas(2).start();
        cluster.primary().execute("CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g");
        cluster.awaitReplication(Duration.ofSeconds(30));
    }

    @Test
    void aFrozenReplicaStallsNoReadAndLeavesRotationFast() throws Exception {
        startClusterWithTable();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(config().build(), registry)) {
            Node victim = cluster.replica(1);
            long frozenAt;
            long thawedAt;
            long detected;
            Load readers = new Load(8, () -> db.queryOne("SELECT v FROM t WHERE id = ?", RowMapper.firstString(), 42));
            try (readers) {
                await().until(() -> readers.calls().size() > 2000);
                frozenAt = System.nanoTime();
                victim.freeze();
                await().atMost(WORST_CALL.plusSeconds(2)).until(() -> db.nodes().get(1).state() == NodeState.UNREACHABLE);
                detected = System.nanoTime() - frozenAt;
                assertThat(Duration.ofNanos(detected)).as("out of rotation within about 2 x DB_HEALTH_TIMEOUT").isLessThan(WORST_CALL);
                // the other replica keeps serving: reads complete while the victim stays frozen
                long marked = System.nanoTime();
                await().atMost(Duration.ofSeconds(5)).until(() -> readers.completedAfter(marked) > 1000);
                Thread.sleep(2000);
                holdUntil(frozenAt + FAULT_HELD.toNanos());
                thawedAt = System.nanoTime();
                victim.thaw();
                await().atMost(Duration.ofSeconds(15)).until(() -> db.nodes().get(1).state().isGood());
            }
            // taken once the readers stopped: a read stuck until the thaw is in the window, with its whole wait
            List<Load.Call> calls = readers.callsDuring(frozenAt, thawedAt);
            assertThat(Duration.ofNanos(thawedAt - frozenAt)).as("how long the replica was frozen").isGreaterThanOrEqualTo(FAULT_HELD);
            assertThat(Load.failures(calls)).as("reads that failed while a replica was frozen").isEmpty();
            assertThat(Load.longest(calls)).as("the longest read while a replica was frozen").isLessThan(SLOWEST_CALL);
            assertThat(db.nodes().get(1).reason()).doesNotContain("frozen"); // back, with a fresh reason
            assertThat(registry.get("fortress.db.aborted.statements").tag("node", "replica-1").functionCounter().count())
                    .as("reads blocked on the frozen replica were aborted").isGreaterThan(0);
            assertThat(registry.get("fortress.db.read.reroutes").tag("reason", "retry").functionCounter().count()).isGreaterThan(0);
            // back in rotation, with connections of its pool
            await().atMost(Duration.ofSeconds(5)).until(() -> serverPort(db) == victim.port());
        }
    }

    @Test
    void aHungNodeWithoutTrafficIsFoundWithinTwoHealthTimeoutsWhateverTheConnectTimeout() {
        cluster = LocalCluster.builder().replicas(1).start();
        try (Database db = Database.open(config().connectTimeout(Duration.ofSeconds(30)).build())) {
            Node victim = cluster.replica(1);
            victim.freeze();
            long start = System.nanoTime();
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                    .until(() -> db.nodes().get(1).state() == NodeState.UNREACHABLE);
            // the next round starts within an interval; its check and one re-check each take at most the timeout
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.multipliedBy(4));
            assertThat(db.nodes().get(1).reason()).containsIgnoringCase("time");
        }
    }

    @Test
    void aFrozenPrimaryFailsWritesFastWhileReadsGoOn() throws Exception {
        startClusterWithTable();
        cluster.primary().execute("CREATE TABLE w(id bigint PRIMARY KEY)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        try (Database db = Database.open(config().build())) {
            AtomicLong ids = new AtomicLong();
            Node primary = cluster.primary();
            long frozenAt;
            long thawedAt;
            Load writers = new Load(4, () -> db.exec("INSERT INTO w VALUES (?)", ids.incrementAndGet()));
            Load readers = new Load(4, () -> db.queryOne("SELECT v FROM t WHERE id = ?", RowMapper.firstString(), 7));
            try (writers; readers) {
                await().until(() -> writers.calls().size() > 200 && readers.calls().size() > 200);
                frozenAt = System.nanoTime();
                primary.freeze();
                await().atMost(WORST_CALL.plusSeconds(2)).until(() -> db.nodes().get(0).state() == NodeState.DOWN);
                long down = System.nanoTime();
                await().atMost(Duration.ofSeconds(5)).until(() -> readers.completedAfter(down) > 500);
                holdUntil(frozenAt + FAULT_HELD.toNanos());
                thawedAt = System.nanoTime();
                primary.thaw();
                await().atMost(Duration.ofSeconds(15)).until(() -> db.nodes().get(0).state().isGood());
                long back = System.nanoTime();
                await().atMost(Duration.ofSeconds(10)).until(() -> writers.completedAfter(back) > 50);
            }
            // taken once the load stopped: a call stuck until the thaw is in the window, with its whole wait
            List<Load.Call> writes = writers.callsDuring(frozenAt, thawedAt);
            List<Load.Call> reads = readers.callsDuring(frozenAt, thawedAt);
            assertThat(Duration.ofNanos(thawedAt - frozenAt)).as("how long the primary was frozen").isGreaterThanOrEqualTo(FAULT_HELD);
            assertThat(Load.failures(writes)).as("writes failed while the primary was frozen").isNotEmpty()
                    .allSatisfy(f -> assertThat(f).isInstanceOf(DatabaseUnavailableException.class));
            assertThat(Load.longest(writes)).as("the longest write while the primary was frozen").isLessThan(SLOWEST_CALL);
            assertThat(Load.failures(reads)).as("reads while the primary was frozen").isEmpty();
            assertThat(Load.longest(reads)).as("the longest read while the primary was frozen").isLessThan(SLOWEST_CALL);
        }
    }

    @Test
    void aRestartedReplicaTakesReadsOnlyOnceItsPoolCanServeThem() throws Exception {
        startClusterWithTable();
        try (Database db = Database.open(config().build())) {
            Node victim = cluster.replica(1);
            long restartedAt;
            long until;
            Load readers = new Load(8, () -> db.queryOne("SELECT v FROM t WHERE id = ?", RowMapper.firstString(), 42));
            try (readers) {
                await().until(() -> readers.calls().size() > 2000);
                victim.kill();
                await().atMost(Duration.ofSeconds(10)).until(() -> db.nodes().get(1).state() == NodeState.UNREACHABLE);
                // long enough for HikariCP's adder to back off to its 5 s maximum, were it retrying
                Thread.sleep(6000);
                restartedAt = System.nanoTime();
                victim.start();
                await().atMost(Duration.ofSeconds(15)).until(() -> db.nodes().get(1).state().isGood());
                long back = System.nanoTime();
                Thread.sleep(3000);
                until = System.nanoTime();
                assertThat(readers.callsDuring(back, until).size()).isGreaterThan(1000);
            }
            // taken once the readers stopped: a read that waited past the window is there with its whole wait
            List<Load.Call> afterRestart = readers.callsDuring(restartedAt, until);
            assertThat(Load.failures(afterRestart)).isEmpty();
            assertThat(Load.longest(afterRestart)).as("no read waited on the returning replica's empty pool")
                    .isLessThan(Duration.ofMillis(500));
            assertThat(serverPorts(db, 50)).contains(victim.port());
        }
    }

    @Test
    void boundedStalenessNeverReturnsOlderDataThanItsBound() throws Exception {
        cluster = LocalCluster.builder().replicas(2).start();
        cluster.primary().execute("CREATE TABLE ticks(id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())");
        cluster.awaitReplication(Duration.ofSeconds(30));
        Duration bound = Duration.ofSeconds(2);
        // when each tick was acknowledged to the writer, by id
        Map<Long, Long> acked = new ConcurrentSkipListMap<>();
        // what ended the writer other than being asked to stop: without ticks, no read could be too stale
        AtomicReference<Throwable> writerDied = new AtomicReference<>();
        try (Database db = Database.open(config().build())) {
            Thread writer = new Thread(() -> {
                try {
                    for (long id = 1; !Thread.currentThread().isInterrupted(); id++) {
                        db.exec("INSERT INTO ticks(id) VALUES (?)", id);
                        acked.put(id, System.nanoTime());
                        Thread.sleep(100);
                    }
                } catch (InterruptedException e) {
                    // asked to stop
                } catch (Throwable t) {
                    writerDied.set(t);
                }
            });
            writer.start();
            long pausedAt;
            long resumedAt;
            List<long[]> observations = new java.util.concurrent.CopyOnWriteArrayList<>();
            Load readers = new Load(4, () -> {
                long start = System.nanoTime();
                long seen = db.queryOne(Consistency.boundedStaleness(bound), "SELECT coalesce(max(id), 0) FROM ticks",
                        RowMapper.firstLong()).orElseThrow();
                observations.add(new long[] {start, seen});
                return seen;
            });
            try (readers) {
                Thread.sleep(3000);
                cluster.replicas().forEach(Node::pauseReplay);
                pausedAt = System.nanoTime();
                Thread.sleep(6000);
                resumedAt = System.nanoTime();
                cluster.replicas().forEach(Node::resumeReplay);
                Thread.sleep(3000);
            } finally {
                writer.interrupt();
                writer.join(10_000);
            }
            assertThat(writer.isAlive()).as("the writer still runs 10 s after it was asked to stop").isFalse();
            assertThat(writerDied.get()).as("what ended the writer before it was asked to stop").isNull();
            // the writer kept acknowledging ticks while replay was paused, past the bound: only those make a stale read possible
            long ticksBeyondTheBound = acked.values().stream().filter(at -> at > pausedAt && at < resumedAt - bound.toNanos()).count();
            assertThat(ticksBeyondTheBound).as("ticks acknowledged while replay was paused, more than the bound before it resumed")
                    .isGreaterThanOrEqualTo(10);
            long readsBeyondTheBound = observations.stream().filter(o -> o[0] > pausedAt + bound.toNanos() && o[0] < resumedAt).count();
            assertThat(readsBeyondTheBound).as("reads made while the replicas were more than the bound behind").isGreaterThan(100);
            List<Load.Call> calls = readers.calls();
            assertThat(Load.failures(calls)).isEmpty();
            long tooStale = 0;
            long maxStaleness = 0;
            for (long[] o : observations) {
                Long firstMissingAck = acked.get(o[1] + 1);
                if (firstMissingAck != null && firstMissingAck < o[0]) {
                    long staleness = o[0] - firstMissingAck;
                    maxStaleness = Math.max(maxStaleness, staleness);
                    if (staleness > bound.toNanos()) {
                        tooStale++;
                    }
                }
            }
            assertThat(observations).hasSizeGreaterThan(1000);
            assertThat(tooStale).as("reads older than the %s bound (the stalest was %d ms)", bound, maxStaleness / 1_000_000).isZero();
            assertThat(db.stats().metrics().replicaQueries()).as("replicas served the reads within the bound").isGreaterThan(100);
        }
    }

    /** Sleeps until System.nanoTime() reaches {@code nanos}. */
    private static void holdUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left) + 1);
        }
    }

    private static int serverPort(Database db) {
        return db.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class)).orElseThrow();
    }

    private static List<Integer> serverPorts(Database db, int reads) {
        List<Integer> ports = new java.util.ArrayList<>();
        for (int i = 0; i < reads; i++) {
            ports.add(serverPort(db));
        }
        return ports;
    }
}
