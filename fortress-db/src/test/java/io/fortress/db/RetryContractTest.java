package io.fortress.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.api.DatabaseException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.NodeState;
import io.fortress.db.api.RowMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The retry contract of docs/library.md under real faults: an autocommit read that fails on a replica
 * (its server killed, its pool out of connections) is retried on the next node; nothing inside a
 * transaction is, nor a stream that handed out rows; and a borrow waiting on a replica that goes down
 * gives up within 200 ms instead of waiting out the pool timeout. Each test restarts what it killed.
 */
class RetryContractTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(2);

    private static final RowMapper<Integer> PORT = RowMapper.column(1, Integer.class);

    private final ExecutorService threads = Executors.newFixedThreadPool(3);

    @AfterEach
    void restartWhatWasKilled() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        for (Node replica : CLUSTER.cluster().replicas()) {
            replica.start();
            CLUSTER.cluster().awaitStreaming(replica, Duration.ofSeconds(60));
        }
    }

    @Test
    void anAutocommitReadWhoseReplicaIsKilledMidStatementIsRetriedOnAnotherNode() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(TestDatabases.config(cluster).build(), registry)) {
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() ->
                    db.queryOne("SELECT inet_server_port() /* retried-read */ FROM pg_sleep(3)", PORT).orElseThrow(), threads);
            Node victim = nodeRunning(cluster, "retried-read");
            victim.kill();
            int servedBy = read.get(60, TimeUnit.SECONDS);
            assertThat(servedBy).as("the read, answered after its replica died").isNotEqualTo(victim.port())
                    .isIn(cluster.replica(1).port(), cluster.replica(2).port(), cluster.primary().port());
            assertThat(retries(registry)).as("reads retried").isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void anAutocommitReadWhoseReplicaPoolsTimeOutIsRetriedOnThePrimary() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DbConfig config = TestDatabases.config(cluster).maxOpenConns(1).maxIdleConns(1).poolTimeout(Duration.ofSeconds(1)).build();
        try (Database db = Database.open(config, registry)) {
            List<CompletableFuture<Long>> sleepers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                sleepers.add(CompletableFuture.supplyAsync(() -> db.queryOne("SELECT 1 FROM pg_sleep(10)", RowMapper.firstLong()).orElseThrow(),
                        threads));
            }
            // the two sleepers hold the only connection of each replica's pool (one that found its first choice busy moved on)
            await().atMost(Duration.ofSeconds(8)).until(() -> db.stats().replicas().stream().allMatch(p -> p.inUse() == 1));
            double retriedBefore = retries(registry);
            assertThat(db.queryOne("SELECT inet_server_port()", PORT)).as("a read while both replica pools are exhausted")
                    .contains(cluster.primary().port());
            assertThat(retries(registry) - retriedBefore).as("one retry per replica pool that timed out").isEqualTo(2);
            for (CompletableFuture<Long> sleeper : sleepers) {
                assertThat(sleeper.get(60, TimeUnit.SECONDS)).isEqualTo(1);
            }
        }
    }

    @Test
    void nothingInsideAReadOnlyTransactionIsRetried() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(TestDatabases.config(cluster).build(), registry)) {
            AtomicInteger callbacks = new AtomicInteger();
            CompletableFuture<Integer> firstPort = new CompletableFuture<>();
            CountDownLatch killed = new CountDownLatch(1);
            CompletableFuture<Integer> transaction = CompletableFuture.supplyAsync(() -> db.inReadOnlyTransaction(tx -> {
                callbacks.incrementAndGet();
                firstPort.complete(tx.queryOne("SELECT inet_server_port()", PORT).orElseThrow());
                if (!killed.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the replica was not killed");
                }
                return tx.queryOne("SELECT inet_server_port()", PORT).orElseThrow();
            }), threads);
            int port = firstPort.get(30, TimeUnit.SECONDS);
            Node victim = byPort(cluster, port);
            assertThat(victim.isStandby()).as("the transaction runs on a replica").isTrue();
            double retriedBefore = retries(registry);
            victim.kill();
            killed.countDown();

            assertThatThrownBy(() -> transaction.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(DatabaseException.class)
                    .satisfies(e -> assertThat(((DatabaseException) e).sqlState()).as("a lost connection").startsWith("08"));
            assertThat(callbacks.get()).as("times the callback ran").isEqualTo(1);
            assertThat(retries(registry) - retriedBefore).as("reads retried").isZero();
        }
    }

    @Test
    void aStreamThatHandedOutRowsIsNotRetried() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(TestDatabases.config(cluster).build(), registry)) {
            List<long[]> rows = new ArrayList<>();
            Node victim = null;
            try (Stream<long[]> stream = db.stream("SELECT inet_server_port(), g FROM generate_series(1, 100000) g",
                    rs -> new long[] {rs.getInt(1), rs.getLong(2)})) {
                Iterator<long[]> it = stream.iterator();
                for (int i = 0; i < 10; i++) {
                    rows.add(it.next());
                }
                victim = byPort(cluster, (int) rows.get(0)[0]);
                assertThat(victim.isStandby()).as("the stream reads from a replica").isTrue();
                double retriedBefore = retries(registry);
                victim.kill();
                Throwable failure = null;
                try {
                    while (it.hasNext()) {
                        rows.add(it.next());
                    }
                } catch (DatabaseException e) {
                    failure = e;
                }
                assertThat(failure).as("the stream's end after its replica was killed").isInstanceOf(DatabaseException.class);
                assertThat(((DatabaseException) failure).sqlState()).as("a lost connection").startsWith("08");
                assertThat(retries(registry) - retriedBefore).as("reads retried").isZero();
            }
            int victimPort = victim.port();
            assertThat(rows).as("rows handed out, all from the killed replica").allSatisfy(r -> assertThat(r[0]).isEqualTo(victimPort));
            assertThat(rows.size()).as("rows before the failure").isLessThan(100000);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(rows.get(i)[1]).as("row %d: in order, none twice (no second run of the query)", i).isEqualTo(i + 1);
            }
        }
    }

    @Test
    void aBorrowWaitingOnAReplicaThatGoesDownGivesUpLongBeforeThePoolTimeoutAndIsRetried() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        Node replica = cluster.replica(1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // one replica with one connection, and a pool timeout far longer than the test's bounds
        DbConfig config = TestDatabases.config(cluster).replicaHosts(List.of(replica.address())).maxOpenConns(1).maxIdleConns(1)
                .poolTimeout(Duration.ofSeconds(60)).build();
        try (Database db = Database.open(config, registry)) {
            CountDownLatch holding = new CountDownLatch(1);
            // a transaction holds the replica's only connection (transactions are not retried: it just fails)
            CompletableFuture<Object> holder = CompletableFuture.supplyAsync(() -> {
                try {
                    return db.inReadOnlyTransaction(tx -> {
                        holding.countDown();
                        return tx.queryOne("SELECT 1 FROM pg_sleep(60)", RowMapper.firstLong());
                    });
                } catch (DatabaseException e) {
                    return e;
                }
            }, threads);
            assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
            long[] waited = new long[1];
            CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
                long start = System.nanoTime();
                try {
                    return db.queryOne("SELECT inet_server_port()", PORT).orElseThrow();
                } finally {
                    waited[0] = System.nanoTime() - start;
                }
            }, threads);
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.get("hikaricp.connections.pending").tag("pool", "replica-1")
                    .gauge().value() >= 1);
            double retriedBefore = retries(registry);
            long killedAt = System.nanoTime();
            replica.kill();

            assertThat(waiting.get(60, TimeUnit.SECONDS)).as("the waiting read, retried").isEqualTo(cluster.primary().port());
            Duration afterKill = Duration.ofNanos(System.nanoTime() - killedAt);
            assertThat(afterKill).as("the waiting read's end after the kill, against a 60 s pool timeout")
                    .isLessThan(Duration.ofSeconds(10));
            assertThat(db.nodes().get(1).state()).isEqualTo(NodeState.UNREACHABLE);
            assertThat(retries(registry) - retriedBefore).as("reads retried").isGreaterThanOrEqualTo(1);
            assertThat(holder.get(60, TimeUnit.SECONDS)).as("the transaction on the killed replica").isInstanceOf(DatabaseException.class);
            assertThat(Duration.ofNanos(waited[0])).as("the waiting read's whole time").isLessThan(Duration.ofSeconds(30));
        }
    }

    /** The node on which a statement containing {@code marker} runs, once it does. */
    private static Node nodeRunning(LocalCluster cluster, String marker) {
        Node[] found = new Node[1];
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (Node n : cluster.nodes()) {
                String running = n.queryValue("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%"
                        + marker + "%' AND pid <> pg_backend_pid()");
                if (!"0".equals(running)) {
                    found[0] = n;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static Node byPort(LocalCluster cluster, int port) {
        return cluster.nodes().stream().filter(n -> n.port() == port).findFirst().orElseThrow();
    }

    private static double retries(SimpleMeterRegistry registry) {
        return registry.get("fortress.db.read.reroutes").tag("reason", "retry").functionCounter().count();
    }
}
