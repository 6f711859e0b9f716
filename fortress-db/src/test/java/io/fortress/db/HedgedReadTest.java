package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.db.api.Consistency;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.NodeState;
import io.fortress.db.api.Percentage;
import io.fortress.db.api.RowMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hedged reads on a real cluster: a replica frozen with SIGSTOP for less time than the health checker
 * needs to take it out costs no read, read-your-writes reads hedge only to replicas that replayed their
 * token, and the budget bounds the hedges. Every test breaks a cluster of its own; stopping the cluster
 * thaws what was frozen, even after a failure.
 */
class HedgedReadTest {
    /**
     * The health settings of the freeze: a check waits this long for a frozen node, so the node stays in
     * rotation through a freeze of {@link #FREEZE}: only hedging keeps reads from waiting for it.
     */
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration FREEZE = Duration.ofSeconds(4);
    /**
     * The slowest read allowed while a replica is frozen: about the hedge delay plus the grace a cancel
     * gets, with ample room for a loaded 2-core machine (1.7 s was seen under a full CI run); under the
     * freeze, which a read sent to the frozen replica without a hedge would wait out. Tight figures belong in bench/.
     */
    private static final Duration SLOWEST_READ = Duration.ofSeconds(3);

    private LocalCluster cluster;

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    private void startClusterWithTable() {
        cluster = LocalCluster.builder().replicas(2).start();
        cluster.primary().execute("CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g");
        cluster.awaitReplication(Duration.ofSeconds(30));
    }

    @Test
    void aFrozenReplicaCostsNoReadBeforeTheHealthCheckerCouldNoticeIt() throws Exception {
        startClusterWithTable();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DbConfig config = TestDatabases.config(cluster).hedgeReads(true).healthInterval(HEALTH_TIMEOUT).healthTimeout(HEALTH_TIMEOUT).build();
        try (Database db = Database.open(config, registry)) {
            Node victim = cluster.replica(1);
            AtomicBoolean leftRotation = new AtomicBoolean();
            long frozenAt;
            long thawedAt;
            Load readers = new Load(8, () -> db.queryOne("SELECT v FROM t WHERE id = ?", RowMapper.firstString(), 42));
            try (readers) {
                Thread.sleep(10_000); // the budget's window full of reads, as in a service that has been running
                frozenAt = System.nanoTime();
                victim.freeze();
                while (System.nanoTime() - frozenAt < FREEZE.toNanos()) {
                    leftRotation.compareAndSet(false, !db.nodes().get(1).state().isGood());
                    Thread.sleep(20);
                }
                thawedAt = System.nanoTime();
                victim.thaw();
                long back = System.nanoTime();
                await().atMost(Duration.ofSeconds(10)).until(() -> readers.completedAfter(back) > 1000);
            }
            List<Load.Call> calls = readers.callsDuring(frozenAt, thawedAt);
            assertThat(leftRotation).as("the frozen replica left rotation: the health checker, not hedging, served the reads").isFalse();
            assertThat(Load.failures(calls)).as("reads that failed while a replica was frozen").isEmpty();
            Load.Call slowest = calls.stream().max(java.util.Comparator.comparingLong(Load.Call::nanos)).orElseThrow();
            assertThat(Load.longest(calls)).as("the longest read while a replica was frozen, started %d ms into the freeze (hedges sent %s, won %s, "
                    + "denied by the budget %s, unsent %s, cancels %s, unanswered %s, aborted without a cancel %s)", (slowest.startNanos() - frozenAt) / 1_000_000,
                    counter(registry, "fortress.db.read.hedges"), counter(registry, "fortress.db.read.hedges.won"),
                    counter(registry, "fortress.db.read.hedges.denied"), counter(registry, "fortress.db.read.hedges.unsent"),
                    counter(registry, "fortress.db.read.hedge.cancels"), counter(registry, "fortress.db.read.hedge.cancels.unanswered"),
                    counter(registry, "fortress.db.read.hedge.aborts")).isLessThan(SLOWEST_READ);
            assertThat(counter(registry, "fortress.db.read.hedges.unsent")).as("reads due for a hedge that found no hedge thread free")
                    .isZero();
            assertThat(readers.completedAfter(frozenAt) - readers.completedAfter(thawedAt)).as("reads served during the freeze")
                    .isGreaterThan(100);
            assertThat(counter(registry, "fortress.db.read.hedges")).as("hedges sent").isGreaterThan(0);
            assertThat(counter(registry, "fortress.db.read.hedges.won")).as("hedges that won").isGreaterThan(0);
            assertThat(counter(registry, "fortress.db.read.hedge.cancels.unanswered"))
                    .as("losing reads on the frozen replica, aborted when it did not answer their cancel").isGreaterThan(0);
            // nothing dirty went back to the frozen replica's pool: it serves reads again and ends idle
            List<Integer> ports = new java.util.ArrayList<>();
            for (int i = 0; i < 50; i++) {
                ports.add(db.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class)).orElseThrow());
            }
            assertThat(ports).contains(victim.port());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(db.stats().replicas())
                    .allSatisfy(pool -> assertThat(pool.inUse()).as("connections in use once the readers stopped").isZero()));
        }
    }

    @Test
    void readYourWritesHedgesOnlyToAReplicaThatReplayedTheToken() throws Exception {
        startClusterWithTable();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DbConfig config = TestDatabases.config(cluster).hedgeReads(true).healthInterval(Duration.ofSeconds(1)).healthTimeout(Duration.ofSeconds(1))
                .readYourWritesWait(Duration.ofMillis(200)).build();
        try (Database db = Database.open(config, registry)) {
            Node stale = cluster.replica(2);
            stale.pauseReplay();
            db.exec("UPDATE t SET v = 'fresh' WHERE id = 7");
            ConsistencyToken token = db.consistencyToken();
            cluster.replica(1).awaitReplayOf(cluster.primary(), Duration.ofSeconds(30));
            Node victim = cluster.replica(1);
            Load readers = new Load(4, () -> {
                String v = db.queryOne(Consistency.readYourWrites(token), "SELECT v FROM t WHERE id = ?", RowMapper.firstString(), 7)
                        .orElseThrow();
                if (!v.equals("fresh")) {
                    throw new AssertionError("a read-your-writes read saw " + v + ", from before the write");
                }
                return v;
            });
            List<Load.Call> calls;
            try (readers) {
                await().until(() -> readers.calls().size() > 200);
                victim.freeze();
                try {
                    await().atMost(Duration.ofSeconds(10)).until(() -> db.nodes().get(1).state() == NodeState.UNREACHABLE);
                    long out = System.nanoTime();
                    await().atMost(Duration.ofSeconds(10)).until(() -> readers.completedAfter(out) > 100);
                } finally {
                    victim.thaw();
                }
            }
            calls = readers.calls();
            // every read saw the write: no hedge was served by the replica behind the token, though reads stuck on the
            // frozen one hedged to it, which is the only other replica
            assertThat(Load.failures(calls)).isEmpty();
            assertThat(counter(registry, "fortress.db.read.hedges")).as("hedges sent from reads stuck on the frozen replica")
                    .isGreaterThan(0);
            stale.resumeReplay();
        }
    }

    @Test
    void theBudgetBoundsHedgesWhenEveryReadIsLate() throws Exception {
        cluster = LocalCluster.builder().replicas(2).start();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // 1 ms: until a second of latencies is known, nearly every read of up to 20 ms is late
        DbConfig config = TestDatabases.config(cluster).hedgeReads(true).hedgeMinDelay(Duration.ofMillis(1)).hedgeBudget(new Percentage(1)).build();
        try (Database db = Database.open(config, registry)) {
            Load readers = new Load(8, () -> db.queryOne("SELECT 1 FROM pg_sleep(random() * 0.02)", RowMapper.firstLong()));
            try (readers) {
                Thread.sleep(4000); // within the budget's ten-second window, which then holds every read
            }
            int reads = readers.calls().size();
            double hedges = counter(registry, "fortress.db.read.hedges");
            assertThat(Load.failures(readers.calls())).isEmpty();
            assertThat(hedges).as("hedges sent").isGreaterThan(0);
            assertThat(counter(registry, "fortress.db.read.hedges.denied")).as("reads the budget refused a hedge").isGreaterThan(0);
            assertThat(hedges).as("hedges of %d reads with a 1%% budget", reads).isLessThanOrEqualTo(reads * 0.01);
            // the losers were cancelled on live servers: none of their statements runs on, their connections serve reads again
            assertThat(counter(registry, "fortress.db.read.hedge.cancels")).as("cancel requests sent").isGreaterThan(0);
            for (Node replica : cluster.replicas()) {
                await().atMost(Duration.ofSeconds(10)).until(() -> replica.queryValue("SELECT count(*) FROM pg_stat_activity "
                        + "WHERE state = 'active' AND query LIKE '%pg_sleep(random()%' AND pid <> pg_backend_pid()").equals("0"));
            }
            for (int i = 0; i < 50; i++) {
                assertThat(db.queryOne("SELECT 1", RowMapper.firstLong())).contains(1L);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(db.stats().replicas())
                    .allSatisfy(pool -> assertThat(pool.inUse()).as("connections in use once the readers stopped").isZero()));
        }
    }

    private static double counter(SimpleMeterRegistry registry, String name) {
        return registry.get(name).functionCounter().count();
    }
}
