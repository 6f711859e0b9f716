package io.fortress.db;

import io.fortress.db.api.DatabaseException;
import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Nodes stopped, killed and unreachable; every test breaks its own cluster. */
class FailoverTest {
    private LocalCluster cluster;

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    @Test
    void readsFallBackToThePrimaryWhileBothReplicasAreStoppedAndReturnAfterwards() {
        cluster = LocalCluster.builder().replicas(2).start();
        int primaryPort = cluster.primary().port();
        try (Database db = Database.open(TestDatabases.config(cluster).poolTimeout(Duration.ofSeconds(20)).build())) {
            assertThat(serverPort(db)).isIn(TestDatabases.replicaPorts(cluster));

            cluster.replica(1).stop();
            cluster.replica(2).stop();
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                assertThat(serverPort(db)).isEqualTo(primaryPort); // never an error, even before they are known down
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no read waited out the 20 s pool timeout on a dead replica")
                    .isLessThan(Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(10)).until(() -> db.nodes().stream().filter(n -> !n.state().isGood()).count() == 2);
            long primaryQueries = db.stats().metrics().primaryQueries();
            long replicaQueries = db.stats().metrics().replicaQueries();
            for (int i = 0; i < 50; i++) {
                assertThat(serverPort(db)).isEqualTo(primaryPort);
            }
            assertThat(db.stats().metrics().primaryQueries() - primaryQueries).isEqualTo(50);
            assertThat(db.stats().metrics().replicaQueries()).as("no read tried a replica known down").isEqualTo(replicaQueries);

            cluster.replica(1).start();
            cluster.replica(2).start();
            await().atMost(Duration.ofSeconds(10)).until(() -> db.nodes().stream().allMatch(n -> n.state().isGood()));
            Map<Integer, Integer> perPort = new ConcurrentHashMap<>();
            for (int i = 0; i < 100; i++) {
                perPort.merge(serverPort(db), 1, Integer::sum);
            }
            assertThat(perPort.keySet()).containsExactlyInAnyOrderElementsOf(TestDatabases.replicaPorts(cluster));
        }
    }

    @Test
    void readsSurviveTheirReplicaBeingKilledMidRun() throws Exception {
        cluster = LocalCluster.builder().replicas(2).start();
        cluster.primary().execute("CREATE TABLE t(id int); INSERT INTO t SELECT generate_series(1, 1000)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(TestDatabases.config(cluster).build(), registry)) {
            Node victim = cluster.replica(1);
            long victimQueries;
            Load readers = new Load(6, () -> {
                // long enough that kills land mid-statement
                long n = db.queryOne("SELECT count(*) FROM t, pg_sleep(0.005)", RowMapper.firstLong()).orElseThrow();
                assertThat(n).isEqualTo(1000);
                return n;
            });
            try (readers) {
                await().until(() -> readers.completed() > 200);
                victim.kill();
                long atKill = readers.completed();
                await().atMost(Duration.ofSeconds(10)).until(() -> !db.nodes().get(1).state().isGood());
                victimQueries = (long) TestDatabases.steady(() -> queries(registry, "replica-1"));
                await().until(() -> readers.completed() > atKill + 300);
            }

            assertThat(Load.failures(readers.calls())).as("reads that failed").isEmpty();
            assertThat(queries(registry, "replica-1")).as("reads sent to the killed replica once known down")
                    .isEqualTo(victimQueries);

            victim.start();
            await().atMost(Duration.ofSeconds(15)).until(() -> db.nodes().get(1).state().isGood());
            await().atMost(Duration.ofSeconds(10)).until(() -> serverPort(db) == victim.port());
        }
    }

    @Test
    void startsWithAReplicaDownAndUsesItOnceItReturns() {
        cluster = LocalCluster.builder().replicas(2).start();
        cluster.replica(2).stop();
        try (Database db = Database.open(TestDatabases.config(cluster).build())) {
            assertThat(db.nodes().get(2).state().isGood()).isFalse();
            assertThat(db.nodes().get(2).reason()).containsIgnoringCase("refused");
            for (int i = 0; i < 20; i++) {
                assertThat(serverPort(db)).isEqualTo(cluster.replica(1).port());
            }
            cluster.replica(2).start();
            await().atMost(Duration.ofSeconds(10)).until(() -> db.nodes().get(2).state().isGood());
            await().atMost(Duration.ofSeconds(5)).until(() -> serverPort(db) == cluster.replica(2).port());
        }
    }

    @Test
    void startupFailsClearlyWhenThePrimaryIsUnreachable() {
        cluster = LocalCluster.builder().replicas(0).start();
        int port = cluster.primary().port();
        cluster.primary().stop();
        DbConfig config = TestDatabases.config(cluster).connectTimeout(Duration.ofSeconds(2)).build();
        long start = System.nanoTime();
        assertThatThrownBy(() -> Database.open(config))
                .isInstanceOf(DatabaseUnavailableException.class)
                .hasMessageContaining("cannot reach the primary 127.0.0.1:" + port)
                .hasMessageContaining("within connectTimeout 2s")
                .hasMessageNotContaining(cluster.password());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void writesFailFastWhileThePrimaryIsDownAndWorkAgainAfterwards() {
        cluster = LocalCluster.builder().replicas(1).start();
        cluster.primary().execute("CREATE TABLE w(id int)");
        // a slow fall keeps the replica STREAMING for the whole test (about 20 s to fall), while the
        // stopped primary, rechecked every 200 ms, is DOWN within about 2 s
        DbConfig config = TestDatabases.config(cluster).poolTimeout(Duration.ofSeconds(20)).healthFall(10).build();
        try (Database db = Database.open(config)) {
            db.exec("INSERT INTO w VALUES (1)");
            cluster.primary().stop();
            assertThatThrownBy(() -> db.exec("INSERT INTO w VALUES (2)")).isInstanceOf(DatabaseException.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> !db.nodes().get(0).state().isGood());
            long start = System.nanoTime();
            assertThatThrownBy(() -> db.exec("INSERT INTO w VALUES (3)"))
                    .isInstanceOf(DatabaseUnavailableException.class)
                    .hasMessageContaining("primary 127.0.0.1:" + cluster.primary().port() + " is DOWN since");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("well under the 20 s pool timeout").isLessThan(Duration.ofSeconds(5));
            // reads keep working on the replica meanwhile
            assertThat(serverPort(db)).isEqualTo(cluster.replica(1).port());

            cluster.primary().start();
            await().atMost(Duration.ofSeconds(10)).until(() -> db.nodes().get(0).state().isGood());
            assertThat(db.exec("INSERT INTO w VALUES (4)")).isEqualTo(1);
        }
    }

    @Test
    void aRecoveryConflictOnAReplicaIsRetriedElsewhere() throws Exception {
        cluster = LocalCluster.builder().replicas(2)
                .setting("max_standby_streaming_delay", "0")
                .setting("hot_standby_feedback", "off")
                .start();
        cluster.primary().execute("CREATE TABLE conflict(id int) WITH (autovacuum_enabled = off);"
                + " INSERT INTO conflict SELECT generate_series(1, 10000)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(TestDatabases.config(cluster).build(), registry)) {
            ExecutorService writer = Executors.newSingleThreadExecutor();
            var cleanup = writer.submit(() -> {
                // while the read below holds its snapshot on a replica
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> cluster.replicas().stream()
                        .anyMatch(r -> r.queryValue("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                                + " AND query LIKE '%FROM conflict, pg_sleep%' AND pid <> pg_backend_pid()").equals("1")));
                cluster.primary().execute("DELETE FROM conflict");
                cluster.primary().execute("VACUUM conflict");
                return null;
            });
            long rows = db.queryOne("SELECT count(*) FROM conflict, pg_sleep(3)", RowMapper.firstLong()).orElseThrow();
            cleanup.get(30, TimeUnit.SECONDS);
            writer.shutdown();
            assertThat(rows).as("answered by a node that had replayed the cleanup").isZero();
            assertThat(registry.get("fortress.db.read.reroutes").tag("reason", "retry").functionCounter().count()).isGreaterThanOrEqualTo(1);
            assertThat(db.stats().metrics().errors()).isGreaterThanOrEqualTo(1);
        }
    }

    private static long queries(SimpleMeterRegistry registry, String node) {
        return (long) registry.get("fortress.db.queries").tag("node", node).functionCounter().count();
    }

    private static int serverPort(Database db) {
        return db.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class)).orElseThrow();
    }
}
