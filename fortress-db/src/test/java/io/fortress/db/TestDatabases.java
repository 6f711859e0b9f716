package io.fortress.db;

import io.fortress.db.api.DbConfig;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import java.time.Duration;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Configurations pointed at a {@link LocalCluster}: the one place for them in every module's tests
 * (fortress-cli reaches it through fortress-db's test jar). Callers add what their test is about.
 */
public final class TestDatabases {
    private TestDatabases() {
    }

    /** The primary and every replica of the cluster, as the superuser, with health checks quick enough for tests. */
    public static DbConfig.Builder config(LocalCluster cluster) {
        return primaryOnly(cluster)
                .replicaHosts(cluster.replicas().stream().map(Node::address).toList())
                // short enough for quick tests, long enough that a loaded machine's slow check is no failure
                .healthInterval(Duration.ofSeconds(2))
                .healthTimeout(Duration.ofSeconds(2))
                .healthFastInterval(Duration.ofMillis(200));
    }

    /** The cluster's primary alone (no replicas), its default database, as the superuser. */
    public static DbConfig.Builder primaryOnly(LocalCluster cluster) {
        return DbConfig.builder()
                .host(Node.HOST)
                .port(cluster.primary().port())
                .user(cluster.superuser())
                .password(cluster.password())
                .database(cluster.database())
                .connectTimeout(Duration.ofSeconds(5));
    }

    /**
     * The counter's value once it has not moved for a second (at most 15 s): statements that chose a
     * node before it was marked down may still be counted on it for a moment after the state changes.
     */
    static double steady(DoubleSupplier counter) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        double value = counter.getAsDouble();
        while (System.nanoTime() < deadline) {
            Thread.sleep(1000);
            double now = counter.getAsDouble();
            if (now == value) {
                return value;
            }
            value = now;
        }
        throw new AssertionError("the counter still moves after 15 s: " + value);
    }

    /** The ports of the cluster's replicas, as inet_server_port() reports them. */
    static List<Integer> replicaPorts(LocalCluster cluster) {
        return cluster.replicas().stream().map(Node::port).toList();
    }
}
