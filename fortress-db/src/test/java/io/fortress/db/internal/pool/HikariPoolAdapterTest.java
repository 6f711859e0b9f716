package io.fortress.db.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.TestDatabases;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What fortress relies on in HikariCP beyond its public API, pinned against the HikariCP on the
 * classpath: an upgrade that changes any of it fails here, not silently in production.
 */
class HikariPoolAdapterTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(0);
    private static LocalCluster cluster;

    @BeforeAll
    static void useCluster() {
        cluster = CLUSTER.cluster();
    }

    private static DbConfig config(int port) {
        return TestDatabases.primaryOnly(cluster).port(port).maxIdleConns(0).poolTimeout(Duration.ofSeconds(30)).build();
    }

    @Test
    void thePoolTakesATimeoutPerCall() {
        DbConfig config = config(1); // nothing listens on port 1: every connection attempt is refused
        HostAndPort nowhere = new HostAndPort(Node.HOST, 1);
        try (HikariPoolAdapter pool = new HikariPoolAdapter("pinned", new NodeConnector("pinned", nowhere, false, config), config, null, false)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> pool.getConnection(300)).isInstanceOf(SQLTransientConnectionException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the call's 300 ms, not the pool's 30 s").isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void theLifetimeVarianceFactorIsHikariCPs() throws Exception {
        DbConfig config = config(1);
        HostAndPort nowhere = new HostAndPort(Node.HOST, 1);
        try (HikariPoolAdapter pool = new HikariPoolAdapter("pinned", new NodeConnector("pinned", nowhere, false, config), config, null, false)) {
            Field factor = pool.hikariPool().getClass().getDeclaredField("lifeTimeVarianceFactor");
            factor.setAccessible(true);
            assertThat(factor.getLong(pool.hikariPool())).isEqualTo(HikariPoolAdapter.lifetimeVarianceFactor());
        }
        assertThat(HikariPoolAdapter.earliestRetirementNanos(Duration.ofMinutes(4))).isEqualTo(Duration.ofMinutes(3).toNanos());
        assertThat(HikariPoolAdapter.earliestRetirementNanos(Duration.ZERO)).isZero();
    }

    @Test
    void returningAConnectionCallsClearWarningsOnIt() throws Exception {
        DbConfig config = config(cluster.primary().port());
        HostAndPort primary = new HostAndPort(Node.HOST, cluster.primary().port());
        NodeConnector connector = new NodeConnector("pinned", primary, false, config);
        connector.onClose((age, idle) -> { });
        try (HikariPoolAdapter pool = new HikariPoolAdapter("pinned", connector, config, null, false)) {
            Connection c = pool.getConnection(10_000);
            TrackedConnection tracked = connector.openConnections().iterator().next();
            long before = tracked.returnedAtNanos();
            Thread.sleep(5);
            c.close(); // back to the pool
            assertThat(tracked.returnedAtNanos()).as("HikariCP called clearWarnings() on the return").isGreaterThan(before);
        }
    }
}
