package io.fortress.db;

import io.fortress.db.api.Consistency;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.api.DatabaseException;
import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.api.HealthStatus;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Health states, lag and consistency on a cluster whose nodes all stay up; each test undoes what it pauses. */
class HealthTest {
    @RegisterExtension
    // no autovacuum: a background ANALYZE is a transaction, and anIdlePrimaryCausesNoFalseLag needs an idle primary
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.of(b -> b.replicas(2).setting("autovacuum", "off"));

    @AfterEach
    void resumeEverything() {
        for (Node replica : CLUSTER.cluster().replicas()) {
            replica.resumeReplay();
            replica.execute("ALTER SYSTEM RESET recovery_min_apply_delay; SELECT pg_reload_conf()");
        }
        CLUSTER.cluster().awaitReplication(Duration.ofSeconds(60));
    }

    @Test
    void anIdlePrimaryCausesNoFalseLag() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE TABLE IF NOT EXISTS idle_probe(id int); INSERT INTO idle_probe VALUES (1)");
        try (Database db = Database.open(TestDatabases.config(cluster).build())) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            int samples = 0;
            while (System.nanoTime() < end) {
                HealthStatus status = db.healthChecker().status();
                assertThat(status.primaryHealthy()).isTrue();
                for (NodeHealth replica : status.replicas()) {
                    assertThat(replica.state()).as(replica.toString()).isEqualTo(NodeState.STREAMING);
                    if (replica.lagSeconds() != null) {
                        assertThat(replica.lagSeconds()).as(replica.name() + " lag after idle").isLessThan(2.0);
                        samples++;
                    }
                }
                Thread.sleep(1000);
            }
            assertThat(samples).isGreaterThan(20);
            // the naive measure would say otherwise: seconds since the last replayed transaction
            double naive = Double.parseDouble(cluster.replica(1).queryValue(
                    "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())"));
            assertThat(naive).isGreaterThan(12);
        }
    }

    @Test
    void pausedReplayIsSeenMeasuredAndRoutedAround() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE TABLE IF NOT EXISTS bulk(id int, pad text)");
        try (Database db = Database.open(TestDatabases.config(cluster).build())) {
            HealthChecker health = db.healthChecker();
            cluster.replica(1).pauseReplay();
            cluster.primary().execute("INSERT INTO bulk SELECT g, repeat('x', 200) FROM generate_series(1, 80000) g");
            await().atMost(Duration.ofSeconds(10)).until(() -> replica(db, 1).state() == NodeState.REPLAY_PAUSED);
            await().atMost(Duration.ofSeconds(10)).until(() -> replica(db, 1).lagBytes() != null
                    && replica(db, 1).lagBytes() >= 20_000_000L);
            NodeHealth first = replica(db, 1);
            await().atMost(Duration.ofSeconds(20)).until(() -> replica(db, 1).checkedAt().isAfter(first.checkedAt().plusSeconds(2)));
            NodeHealth later = replica(db, 1);
            assertThat(later.lagSeconds()).as("seconds lag grows while paused").isGreaterThan(first.lagSeconds() + 1.0);
            assertThat(replica(db, 1).reason()).contains("paused");

            for (int i = 0; i < 100; i++) {
                assertThat(port(db)).isEqualTo(cluster.replica(2).port());
            }

            long checksAtResume = checks(health, "replica-1");
            cluster.replica(1).resumeReplay();
            await().atMost(Duration.ofSeconds(15)).until(() -> replica(db, 1).state() == NodeState.STREAMING);
            assertThat(checks(health, "replica-1") - checksAtResume).as("good checks before returning to rotation")
                    .isGreaterThanOrEqualTo(db.config().healthRise());
            await().atMost(Duration.ofSeconds(5)).until(() -> port(db) == cluster.replica(1).port());
        }
    }

    @Test
    void readYourWritesSeesEveryWriteEvenWithAReplicaPaused() {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE TABLE IF NOT EXISTS ryw(id int PRIMARY KEY)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(TestDatabases.config(cluster).build(), registry)) {
            cluster.replica(1).pauseReplay();
            db.exec("DELETE FROM ryw");
            for (int i = 0; i < 1000; i++) {
                db.exec("INSERT INTO ryw VALUES (?)", i);
                ConsistencyToken token = ConsistencyToken.parse(db.consistencyToken().toString()); // as if carried in a header
                assertThat(db.queryOne(Consistency.readYourWrites(token), "SELECT id FROM ryw WHERE id = ?",
                        RowMapper.column(1, Integer.class), i)).as("write %d seen", i).contains(i);
            }
            double fromReplica2 = registry.get("fortress.db.queries").tag("node", "replica-2").functionCounter().count();
            assertThat(fromReplica2).as("reads served by the replica that keeps up").isGreaterThan(500);
            assertThat(registry.get("fortress.db.queries").tag("node", "replica-1").functionCounter().count())
                    .as("the paused replica served none of them (asking it was no statement of the caller's)").isZero();
            assertThat(db.stats().metrics().errors()).isZero();
        }
    }

    @Test
    void strongAndBoundedStalenessReads() {
        LocalCluster cluster = CLUSTER.cluster();
        try (Database db = Database.open(TestDatabases.config(cluster).build())) {
            assertThat(db.queryOne(Consistency.strong(), "SELECT inet_server_port()", RowMapper.column(1, Integer.class)))
                    .contains(cluster.primary().port());
            cluster.replica(1).pauseReplay();
            cluster.primary().execute("CREATE TABLE IF NOT EXISTS stale_probe(id int); INSERT INTO stale_probe VALUES (1)");
            await().atMost(Duration.ofSeconds(15)).until(() -> replica(db, 1).lagSeconds() != null && replica(db, 1).lagSeconds() > 3);
            for (int i = 0; i < 20; i++) {
                int port = db.queryOne(Consistency.boundedStaleness(Duration.ofSeconds(3)), "SELECT inet_server_port()",
                        RowMapper.column(1, Integer.class)).orElseThrow();
                assertThat(port).isIn(cluster.replica(2).port(), cluster.primary().port());
            }
            int port = db.queryOne(Consistency.boundedStaleness(Duration.ZERO), "SELECT inet_server_port()",
                    RowMapper.column(1, Integer.class)).orElseThrow();
            assertThat(port).as("nothing is ever known to be 0 s behind but the primary").isEqualTo(cluster.primary().port());
        }
    }

    @Test
    void checksNeverWaitForABusyPool() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // a fresh check must not wait out the pool timeout: 10 s here, against checks that take milliseconds; the bounds
        // below are half of it, so a stall of the busy machine is no failure and a check that waited the pool out is one
        Duration poolTimeout = Duration.ofSeconds(10);
        DbConfig config = TestDatabases.config(cluster).maxOpenConns(2).maxIdleConns(2).poolTimeout(poolTimeout).build();
        ExecutorService threads = Executors.newFixedThreadPool(3); // the three borrowers run at once, whatever the CPU count
        try (Database db = Database.open(config, registry)) {
            List<CompletableFuture<Long>> sleepers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                sleepers.add(CompletableFuture.supplyAsync(() -> db.exec("SELECT pg_sleep(16)"), threads));
            }
            await().until(() -> db.stats().primary().inUse() == 2);
            CompletableFuture<Object> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return db.exec("SELECT 1");
                } catch (DatabaseException e) {
                    return e;
                }
            }, threads);
            await().atMost(poolTimeout.dividedBy(2)).until(() -> registry.get("hikaricp.connections.pending").tag("pool", "primary")
                    .gauge().value() >= 1);

            long start = System.nanoTime();
            HealthStatus checked = db.healthChecker().check();
            long checkMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            start = System.nanoTime();
            HealthStatus cached = db.healthChecker().status();
            long cachedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(checked.primaryHealthy()).isTrue();
            assertThat(cached.primaryHealthy()).isTrue();
            assertThat(checkMillis).as("a fresh check while the pool is exhausted").isLessThan(poolTimeout.toMillis() / 2);
            assertThat(cachedMillis).as("the cached status while the pool is exhausted").isLessThan(poolTimeout.toMillis() / 2);

            assertThat(waiting.get(30, TimeUnit.SECONDS)).isInstanceOf(DatabaseUnavailableException.class);
            assertThat(registry.get("hikaricp.connections.timeout").tag("pool", "primary").counter().count()).isEqualTo(1);
            for (CompletableFuture<Long> s : sleepers) {
                s.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void lagOscillatingAroundTheThresholdDoesNotFlap() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.primary().execute("CREATE TABLE IF NOT EXISTS osc(id serial, at timestamptz default now())");
        DbConfig config = TestDatabases.config(cluster)
                .healthInterval(Duration.ofMillis(250)).healthTimeout(Duration.ofMillis(250)).healthFastInterval(Duration.ofMillis(250))
                .maxReplicaLag(Duration.ofMillis(500)).healthFall(10).healthRise(10).build();
        try (Database db = Database.open(config)) {
            // replica 1 applies WAL 700 ms late: while writes flow its lag passes 500 ms, when they stop it catches up
            cluster.replica(1).execute("ALTER SYSTEM SET recovery_min_apply_delay = '700ms'; SELECT pg_reload_conf()");
            List<NodeState> states = new ArrayList<>();
            boolean sawBadCheck = false;
            for (int cycle = 0; cycle < 8; cycle++) {
                long burstEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                while (System.nanoTime() < burstEnd) {
                    db.exec("INSERT INTO osc DEFAULT VALUES");
                    Thread.sleep(20);
                    sawBadCheck |= replica(db, 1).reason().contains("checks to change");
                    states.add(replica(db, 1).state());
                }
                long quietEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
                while (System.nanoTime() < quietEnd) {
                    Thread.sleep(20);
                    sawBadCheck |= replica(db, 1).reason().contains("checks to change");
                    states.add(replica(db, 1).state());
                }
            }
            assertThat(sawBadCheck).as("some checks saw the lag over the threshold").isTrue();
            assertThat(states).as("never 10 bad checks in a row, so never out of rotation").containsOnly(NodeState.STREAMING);
        }
    }

    @Test
    void aReplicaBadAtStartUpGetsNoReadsFromTheFirstOn() {
        LocalCluster cluster = CLUSTER.cluster();
        cluster.replica(1).pauseReplay();
        try (Database db = Database.open(TestDatabases.config(cluster).build())) {
            assertThat(replica(db, 1).state()).isEqualTo(NodeState.REPLAY_PAUSED);
            for (int i = 0; i < 50; i++) {
                assertThat(port(db)).isEqualTo(cluster.replica(2).port());
            }
        }
    }

    @Test
    void readYourWritesWithoutAnyReplicaGoesStraightToThePrimary() {
        LocalCluster cluster = CLUSTER.cluster();
        DbConfig config = TestDatabases.config(cluster).replicaHosts(List.of()).readYourWritesWait(Duration.ofSeconds(30)).build();
        try (Database db = Database.open(config)) {
            ConsistencyToken token = db.consistencyToken();
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                assertThat(db.queryOne(Consistency.readYourWrites(token), "SELECT inet_server_port()", RowMapper.column(1, Integer.class)))
                        .contains(cluster.primary().port());
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no read waited for a replica that cannot exist")
                    .isLessThan(Duration.ofSeconds(30));
        }
    }

    @Test
    void theGoLayersHealthApi() {
        try (Database db = Database.open(TestDatabases.config(CLUSTER.cluster()).build())) {
            HealthChecker hc = HealthChecker.create(db, Duration.ofSeconds(30), Duration.ofSeconds(5));
            assertThat(hc).isSameAs(db.healthChecker());
            assertThat(hc.interval()).isEqualTo(Duration.ofSeconds(30));
            hc.start();
            assertThat(hc.isRunning()).isTrue();
            HealthStatus status = hc.check();
            assertThat(status.primaryHealthy()).isTrue();
            assertThat(status.replicas()).hasSize(2);
            assertThat(hc.isHealthy()).isTrue();
            Map<String, Duration> lags = hc.checkReplicationLag();
            assertThat(lags).containsOnlyKeys("replica-1", "replica-2");
            assertThat(lags.values()).allSatisfy(l -> assertThat(l).isLessThan(Duration.ofSeconds(30)));
            assertThat(hc.autoReconnect()).isEmpty(); // nothing was out of rotation
            assertThat(status.age()).isLessThan(Duration.ofSeconds(5));
            hc.stop();
            assertThat(hc.isRunning()).isFalse();
        }
    }

    @Test
    void aNewIntervalSetsThePaceOfTheRunningChecker() throws Exception {
        try (Database db = Database.open(TestDatabases.config(CLUSTER.cluster()).healthInterval(Duration.ofSeconds(30))
                .healthTimeout(Duration.ofSeconds(5)).build())) {
            HealthChecker hc = db.healthChecker();
            assertThat(hc.isRunning()).isTrue();
            Duration watched = Duration.ofSeconds(4);
            // every 30 s: no round falls in the next 4 s (at most one, were the first round early)
            assertThat(checksOfThePrimaryDuring(hc, watched)).as("checks of the primary in 4 s at a 30 s interval").isLessThanOrEqualTo(1);

            HealthChecker.create(db, Duration.ofMillis(200), Duration.ofMillis(200));
            assertThat(hc.isRunning()).isTrue();
            // every 200 ms: about 20 rounds in 4 s; a quarter of them on two busy cores is plenty
            assertThat(checksOfThePrimaryDuring(hc, watched)).as("checks of the primary in 4 s at a 200 ms interval").isGreaterThanOrEqualTo(5);

            hc.reconfigure(Duration.ofSeconds(30), Duration.ofSeconds(5));
            Thread.sleep(500); // a round begun at the old pace ends
            assertThat(checksOfThePrimaryDuring(hc, watched)).as("checks of the primary in 4 s back at a 30 s interval").isLessThanOrEqualTo(1);
        }
    }

    private static long checksOfThePrimaryDuring(HealthChecker hc, Duration period) throws InterruptedException {
        long before = checks(hc, "primary");
        Thread.sleep(period.toMillis());
        return checks(hc, "primary") - before;
    }

    private static NodeHealth replica(Database db, int n) {
        return db.nodes().get(n);
    }

    private static int port(Database db) {
        return db.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class)).orElseThrow();
    }

    private static long checks(HealthChecker health, String node) {
        return health.checkedNodes().stream().filter(n -> n.health().name().equals(node)).findFirst().orElseThrow().checks();
    }
}
