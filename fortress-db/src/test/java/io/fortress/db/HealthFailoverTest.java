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
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Health states and recovery when nodes die, lose replication, restart or get promoted; each test has its own cluster. */
class HealthFailoverTest {
    private LocalCluster cluster;

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    @Test
    void aKilledReplicaIsUnreachableGetsNoReadsAndReturnsOnItsOwn() throws Exception {
        cluster = LocalCluster.builder().replicas(2).start();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = Database.open(TestDatabases.config(cluster).build(), registry)) {
            Load readers = new Load(4, () -> db.queryOne("SELECT 1, pg_sleep(0.002)", RowMapper.firstLong()));
            try (readers) {
                await().until(() -> readers.completed() > 100);
                cluster.replica(1).kill();
                await().atMost(Duration.ofSeconds(10)).until(() -> replica(db, 1).state() == NodeState.UNREACHABLE);
                double sentBefore = TestDatabases.steady(() -> queries(registry, "replica-1"));
                long readsBefore = readers.completed();
                await().until(() -> readers.completed() > readsBefore + 300);
                assertThat(queries(registry, "replica-1")).as("reads sent to the unreachable replica").isEqualTo(sentBefore);

                cluster.replica(1).start();
                await().atMost(Duration.ofSeconds(20)).until(() -> replica(db, 1).state() == NodeState.STREAMING);
                long readsBack = readers.completed();
                await().atMost(Duration.ofSeconds(10)).until(() -> readers.completed() > readsBack + 100 && queries(registry, "replica-1") > sentBefore);
            }
            assertThat(Load.failures(readers.calls())).as("failed reads").isEmpty();
        }
    }

    @Test
    void aLostWalReceiverIsSeenAlthoughReceiveEqualsReplay() {
        cluster = LocalCluster.builder().replicas(1).start();
        try (Database db = Database.open(TestDatabases.config(cluster).build())) {
            Node replica = cluster.replica(1);
            replica.followPort(1); // nothing listens there: the receiver stops and cannot reconnect
            await().atMost(Duration.ofSeconds(15)).until(() -> replica(db, 1).state() == NodeState.RECEIVER_DOWN);
            assertThat(replica.queryValue("SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"))
                    .as("the replica has replayed all it received: a naive lag would say 0").isEqualTo("t");
            cluster.primary().execute("CREATE TABLE written_meanwhile AS SELECT 1 AS x");
            await().atMost(Duration.ofSeconds(10)).until(() -> replica(db, 1).lagSeconds() != null && replica(db, 1).lagSeconds() > 2);
            assertThat(db.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class))).contains(cluster.primary().port());

            replica.followPort(cluster.primary().port());
            await().atMost(Duration.ofSeconds(20)).until(() -> replica(db, 1).state() == NodeState.STREAMING);
        }
    }

    @Test
    void aStoppedPrimaryFailsWritesFastAndIsUsedAgainOnceBack() throws Exception {
        cluster = LocalCluster.builder().replicas(1).start();
        cluster.primary().execute("CREATE TABLE w(id int)");
        DbConfig config = TestDatabases.config(cluster).poolTimeout(Duration.ofSeconds(20)).build();
        try (Database db = Database.open(config)) {
            db.exec("INSERT INTO w VALUES (0)");
            cluster.primary().stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> !db.healthChecker().isHealthy());
            assertThat(db.nodes().get(0).state()).isEqualTo(NodeState.DOWN);
            await().atMost(Duration.ofSeconds(10)).until(() -> replica(db, 1).state() == NodeState.RECEIVER_DOWN);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int attempts = 0;
            while (System.nanoTime() < deadline) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> db.exec("INSERT INTO w VALUES (1)")).isInstanceOf(DatabaseUnavailableException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a write while the primary is known down")
                        .isLessThan(Duration.ofSeconds(5)); // well under the 20 s pool timeout
                attempts++;
                Thread.sleep(500);
            }
            assertThat(attempts).isGreaterThan(10);
            assertThat(db.healthChecker().status().age()).as("checks go on while the primary is down")
                    .isLessThan(db.healthChecker().interval().multipliedBy(2).plusSeconds(1));

            cluster.primary().start();
            long started = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try {
                    return db.exec("INSERT INTO w VALUES (2)") == 1;
                } catch (DatabaseException e) {
                    return false;
                }
            });
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("writes work again within about two check intervals")
                    .isLessThan(db.healthChecker().interval().multipliedBy(2).plusSeconds(5));
            await().atMost(Duration.ofSeconds(20)).until(() -> replica(db, 1).state() == NodeState.STREAMING);
        }
    }

    @Test
    void writesFollowAPromotedCandidate() throws Exception {
        cluster = LocalCluster.builder().replicas(2).start();
        cluster.primary().execute("CREATE TABLE promo(port int)");
        cluster.awaitReplication(Duration.ofSeconds(30));
        Node promoted = cluster.replica(1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DbConfig config = TestDatabases.config(cluster).host(cluster.primary().address() + "," + promoted.address()).build();
        try (Database db = Database.open(config, registry)) {
            assertThat(db.exec("INSERT INTO promo VALUES (inet_server_port())")).isEqualTo(1);
            promoted.promote();
            long promotedAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).until(() -> writtenTo(db) == promoted.port());
            assertThat(Duration.ofNanos(System.nanoTime() - promotedAt)).as("writes reach the new primary within about two check intervals")
                    .isLessThan(db.healthChecker().interval().multipliedBy(2).plusSeconds(5));
            for (int i = 0; i < 200; i++) {
                assertThat(writtenTo(db)).isEqualTo(promoted.port()); // no 25006, nothing to the old primary
            }
            assertThat(registry.get("fortress.db.role.changes").functionCounter().count()).isEqualTo(1);
            assertThat(db.nodes().get(0).name()).isEqualTo("primary-2");
            await().atMost(Duration.ofSeconds(10)).until(() -> replica(db, 1).state() == NodeState.PROMOTED);
        }
    }

    private static int writtenTo(Database db) {
        return db.inTransaction(tx -> {
            tx.exec("INSERT INTO promo VALUES (inet_server_port())");
            return tx.queryOne("SELECT inet_server_port()", RowMapper.column(1, Integer.class)).orElseThrow();
        });
    }

    private static NodeHealth replica(Database db, int n) {
        return db.nodes().get(n);
    }

    private static double queries(SimpleMeterRegistry registry, String node) {
        return registry.get("fortress.db.queries").tag("node", node).functionCounter().count();
    }
}
