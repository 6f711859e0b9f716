package io.fortress.cluster;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster that the test classes of one JVM take turns on (see {@link LocalClusterExtension#shared(int)}).
 * Each class gets it as a new cluster would be: every node running, the replicas streaming, the default
 * database empty, no other database and no role beyond those of a new cluster. A cluster some class left
 * unusable (a node stopped, frozen or promoted, replay paused, the superuser's password changed) is
 * replaced by a new one. The test engine stops it at the end of the run (it is {@link AutoCloseable} in
 * the root store).
 */
final class SharedCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SharedCluster.class);
    /** The databases of a new cluster besides the default one; never dropped. */
    private static final Set<String> BUILT_IN_DATABASES = Set.of("postgres", "template0", "template1");
    /** The name of the database from which the others are dropped and created. */
    private static final String MAINTENANCE_DATABASE = "postgres";
    private static final Duration REPLAY_TIMEOUT = Duration.ofSeconds(60);

    private final int replicas;
    private LocalCluster cluster;
    private Set<String> originalRoles;
    private boolean handedOut;

    SharedCluster(int replicas) {
        this.replicas = replicas;
    }

    /** The cluster, started or reset for the next class. */
    synchronized LocalCluster checkOut() {
        if (cluster != null && !usable()) {
            LOG.warn("the shared cluster with {} replicas was left unusable by a previous test class; starting a new one", replicas);
            close();
        }
        if (cluster == null) {
            cluster = LocalCluster.builder().replicas(replicas).start();
            originalRoles = roles();
            handedOut = false;
        }
        if (handedOut) {
            reset();
        }
        handedOut = true;
        return cluster;
    }

    @Override
    public synchronized void close() {
        if (cluster != null) {
            cluster.stop();
            cluster = null;
        }
    }

    /** Every node runs and answers, the primary is no standby, and every replica streams from it and replays. */
    private boolean usable() {
        try {
            for (Node node : cluster.nodes()) {
                if (!node.isRunning() || node.isFrozen()) {
                    return false;
                }
                try (Connection c = node.connect(MAINTENANCE_DATABASE); Statement s = c.createStatement()) {
                    boolean standby = "t".equals(values(s, "SELECT pg_is_in_recovery()").get(0));
                    if (standby != (node != cluster.primary())
                            || standby && "t".equals(values(s, "SELECT pg_is_wal_replay_paused()").get(0))) {
                        return false;
                    }
                }
            }
            for (Node replica : cluster.replicas()) {
                cluster.awaitStreaming(replica, Duration.ofSeconds(30));
            }
            return true;
        } catch (ClusterException | SQLException e) {
            return false;
        }
    }

    /**
     * Back to the state of a new cluster: databases other than the built-in ones dropped (the default
     * one included, then created again empty), and the roles a class created dropped with what they own.
     */
    private void reset() {
        try (Connection c = cluster.primary().connect(MAINTENANCE_DATABASE); Statement s = c.createStatement()) {
            for (String database : values(s, "SELECT datname FROM pg_database")) {
                if (!BUILT_IN_DATABASES.contains(database)) {
                    s.execute("DROP DATABASE " + LocalCluster.quoteIdentifier(database) + " WITH (FORCE)");
                }
            }
            List<String> added = new ArrayList<>();
            for (String role : values(s, "SELECT rolname FROM pg_roles")) {
                if (!originalRoles.contains(role)) {
                    added.add(LocalCluster.quoteIdentifier(role));
                }
            }
            if (!added.isEmpty()) {
                String roles = String.join(", ", added);
                s.execute("DROP OWNED BY " + roles);
                s.execute("DROP ROLE " + roles);
            }
            s.execute("ALTER ROLE " + LocalCluster.quoteIdentifier(cluster.superuser()) + " RESET ALL");
            s.execute("CREATE DATABASE " + LocalCluster.quoteIdentifier(cluster.database()));
            awaitReplicas(values(s, "SELECT pg_current_wal_lsn()").get(0));
        } catch (SQLException e) {
            throw new ClusterException("cannot reset the shared cluster for the next test class: " + e.getMessage(), e);
        }
    }

    /**
     * Waits until every replica has replayed the reset, so the class finds the default database there too.
     * Asked through the maintenance database: {@link LocalCluster#awaitReplication} connects to the default
     * one, which a replica may not have created yet.
     */
    private void awaitReplicas(String lsn) throws SQLException {
        long deadline = System.nanoTime() + REPLAY_TIMEOUT.toNanos();
        for (Node replica : cluster.replicas()) {
            try (Connection c = replica.connect(MAINTENANCE_DATABASE); Statement s = c.createStatement()) {
                while (!"t".equals(values(s, "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn").get(0))) {
                    if (System.nanoTime() > deadline) {
                        throw new ClusterException("replica " + replica.name() + " did not replay the reset of the shared cluster within "
                                + REPLAY_TIMEOUT.toSeconds() + " s");
                    }
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterException("interrupted while waiting for replica " + replica.name() + " to replay the reset", e);
            }
        }
    }

    private Set<String> roles() {
        try (Connection c = cluster.primary().connect(MAINTENANCE_DATABASE); Statement s = c.createStatement()) {
            return new HashSet<>(values(s, "SELECT rolname FROM pg_roles"));
        } catch (SQLException e) {
            throw new ClusterException("cannot list the roles of the shared cluster: " + e.getMessage(), e);
        }
    }

    private static List<String> values(Statement s, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }
}
