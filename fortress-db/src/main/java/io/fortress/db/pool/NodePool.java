package io.fortress.db.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.fortress.db.DbConfig;
import io.fortress.db.HostAndPort;
import io.fortress.db.NodeRole;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * One node (the primary or a replica): its HikariCP pool, its counters and whether it is up.
 *
 * <p>Pool settings map the seed's: maxOpenConns → maximumPoolSize, maxIdleConns → minimumIdle,
 * connMaxLifetime → maxLifetime, connMaxIdleTime → idleTimeout, poolTimeout → connectionTimeout. The
 * pool never fails to start because its node is down; it fills once the node is back.
 */
public final class NodePool implements AutoCloseable {
    /** How long one slice of a borrow waits before checking that the node is still up. */
    static final long WAIT_SLICE_MILLIS = 200;

    /** Whether a node takes statements, and why not. */
    public record Status(boolean up, String reason, Instant since) {
    }

    private final String name;
    private final NodeRole role;
    private final HostAndPort address;
    private final NodeConnector connector;
    private final HikariDataSource pool;
    private final HikariPool hikariPool;
    private final HikariPoolMXBean poolBean;
    private final BorrowMetrics borrowMetrics;
    private final long poolTimeoutMillis;
    private final NodeCounters counters = new NodeCounters();
    private final int minimumIdle;
    private final long idleTimeoutNanos;
    private final long earliestRetirementNanos;
    private final int probeTimeoutSeconds;
    private volatile Status status = new Status(true, "not checked yet", Instant.now());
    private volatile boolean closing;

    NodePool(String name, NodeRole role, HostAndPort address, DbConfig config, MeterRegistry registry) {
        this.name = name;
        this.role = role;
        this.address = address;
        this.connector = new NodeConnector(name, address, role == NodeRole.REPLICA, config);
        this.minimumIdle = config.maxIdleConns();
        this.idleTimeoutNanos = config.connMaxIdleTime().toNanos();
        long lifetime = config.connMaxLifetime().toNanos();
        // HikariCP retires a connection at a random point of the last 1/factor of its lifetime.
        long varianceFactor = Math.min(40, Math.max(2, Long.getLong("com.zaxxer.hikari.lifeTimeVarianceFactor", 4)));
        this.earliestRetirementNanos = lifetime == 0 ? 0 : lifetime - lifetime / varianceFactor;
        this.probeTimeoutSeconds = (int) Math.max(1, config.connectTimeout().toSeconds());
        connector.onClose(this::connectionClosed);

        HikariConfig hc = new HikariConfig();
        hc.setPoolName(name);
        hc.setDataSource(connector);
        hc.setMaximumPoolSize(config.maxOpenConns());
        hc.setMinimumIdle(config.maxIdleConns());
        hc.setMaxLifetime(config.connMaxLifetime().toMillis());
        hc.setIdleTimeout(config.connMaxIdleTime().toMillis());
        hc.setKeepaliveTime(keepaliveMillis(config.connMaxLifetime()));
        hc.setConnectionTimeout(config.poolTimeout().toMillis());
        hc.setValidationTimeout(Math.max(250, Math.min(5_000, config.poolTimeout().toMillis() / 2)));
        hc.setInitializationFailTimeout(-1); // start even when the node is down; it is marked down and retried
        hc.setAutoCommit(true);
        this.borrowMetrics = registry == null ? null : new BorrowMetrics(registry);
        if (borrowMetrics != null) {
            hc.setMetricsTrackerFactory(borrowMetrics);
        }
        this.poolTimeoutMillis = config.poolTimeout().toMillis();
        this.pool = new HikariDataSource(hc);
        this.poolBean = pool.getHikariPoolMXBean();
        // HikariDataSource exposes its pool as the MXBean; the pool takes a per-call timeout.
        this.hikariPool = (HikariPool) poolBean;
    }

    /** HikariCP pings idle connections every keepalive; it must stay under the lifetime (and is at least 30 s). */
    private static long keepaliveMillis(Duration lifetime) {
        long keepalive = Duration.ofMinutes(2).toMillis();
        if (!lifetime.isZero() && keepalive >= lifetime.toMillis()) {
            keepalive = lifetime.toMillis() / 2;
        }
        return keepalive < 30_000 ? 0 : keepalive;
    }

    public String name() {
        return name;
    }

    public NodeRole role() {
        return role;
    }

    public HostAndPort address() {
        return address;
    }

    public NodeCounters counters() {
        return counters;
    }

    public Status status() {
        return status;
    }

    public boolean isUp() {
        return status.up();
    }

    /** The node's JDBC URL, without credentials. */
    public String url() {
        return connector.url();
    }

    /** Connections open now (in use and idle). */
    public int openConnections() {
        return poolBean.getTotalConnections();
    }

    /** Connections borrowed now. */
    public int inUse() {
        return poolBean.getActiveConnections();
    }

    /** Connections idle in the pool now. */
    public int idle() {
        return poolBean.getIdleConnections();
    }

    /** Threads waiting for a connection now. */
    public int pending() {
        return poolBean.getThreadsAwaitingConnection();
    }

    /** The HikariCP pool, for frameworks that need it. */
    public HikariDataSource dataSource() {
        return pool;
    }

    /**
     * Borrows a pooled connection, waiting up to the pool timeout, but failing at once when the node is
     * down and within {@link #WAIT_SLICE_MILLIS} when it goes down during the wait: HikariCP alone would
     * keep a caller waiting the whole timeout for a node that is gone. A borrow that finds no idle
     * connection counts as a wait, with its duration, as Go's sql.DBStats counts WaitCount and
     * WaitDuration.
     *
     * @throws SQLTransientConnectionException when no connection came in time, or the node is down
     */
    public Connection borrow() throws SQLException {
        if (!isUp()) {
            throw new SQLTransientConnectionException(name + " is down: " + status.reason(), "08001");
        }
        boolean mustWait = poolBean.getIdleConnections() == 0;
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(poolTimeoutMillis);
        BorrowMetrics.beginSlices();
        try {
            while (true) {
                long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                try {
                    Connection c = hikariPool.getConnection(Math.max(1, Math.min(WAIT_SLICE_MILLIS, remainingMillis)));
                    record(borrowMetrics, start, false);
                    return c;
                } catch (SQLTransientConnectionException timeout) {
                    if (!isUp()) {
                        record(borrowMetrics, start, true);
                        throw new SQLTransientConnectionException(name + " went down while waiting for a connection: "
                                + status.reason(), "08001", timeout);
                    }
                    if (remainingMillis <= WAIT_SLICE_MILLIS) {
                        record(borrowMetrics, start, true);
                        throw new SQLTransientConnectionException(name + " - Connection is not available, request timed out after "
                                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + "ms (total=" + openConnections()
                                + ", active=" + inUse() + ", idle=" + idle() + ", waiting=" + pending() + ")",
                                timeout.getSQLState(), timeout.getCause());
                    }
                }
            }
        } finally {
            BorrowMetrics.endSlices();
            if (mustWait) {
                counters.waits.increment();
                counters.waitNanos.add(System.nanoTime() - start);
            }
        }
    }

    private static void record(BorrowMetrics metrics, long start, boolean timedOut) {
        if (metrics != null) {
            long nanos = System.nanoTime() - start;
            if (timedOut) {
                metrics.timedOut(nanos);
            } else {
                metrics.acquired(nanos);
            }
        }
    }

    /** Records one statement run on this node. */
    void record(long nanos, boolean failed, boolean slow) {
        counters.queries.increment();
        counters.latencyNanos.add(nanos);
        if (failed) {
            counters.errors.increment();
        }
        if (slow) {
            counters.slowQueries.increment();
        }
    }

    /**
     * Checks the node on a fresh connection outside the pool, so a full or broken pool cannot hide the
     * node's real state.
     *
     * @throws SQLException when the node cannot be reached or does not answer
     */
    void probe() throws SQLException {
        try (Connection c = connector.openDirect(probeTimeoutSeconds); Statement s = c.createStatement()) {
            s.setQueryTimeout(probeTimeoutSeconds);
            try (ResultSet rs = s.executeQuery("SELECT 1")) {
                rs.next();
            }
        }
    }

    /** Marks the node down; returns true if it was up. */
    boolean markDown(String reason) {
        Status current = status;
        status = new Status(false, reason, current.up() ? Instant.now() : current.since());
        return current.up();
    }

    /** Marks the node up; returns true if it was down. A node that returns gets its stale connections evicted. */
    boolean markUp() {
        Status current = status;
        status = new Status(true, "reachable", current.up() ? current.since() : Instant.now());
        if (!current.up()) {
            poolBean.softEvictConnections();
        }
        return !current.up();
    }

    /** Attributes a closed pooled connection to its cause, as Go's MaxIdleClosed and MaxLifetimeClosed do. */
    private void connectionClosed(long ageNanos, long idleNanos) {
        if (closing) {
            counters.otherClosed.increment();
            return;
        }
        boolean pastIdle = idleTimeoutNanos > 0 && idleNanos >= idleTimeoutNanos;
        boolean pastLifetime = earliestRetirementNanos > 0 && ageNanos >= earliestRetirementNanos;
        // HikariCP retires idle connections only while more than minimumIdle are idle.
        if (pastIdle && (!pastLifetime || poolBean.getIdleConnections() >= minimumIdle)) {
            counters.idleClosed.increment();
        } else if (pastLifetime) {
            counters.lifetimeClosed.increment();
        } else {
            counters.otherClosed.increment();
        }
    }

    @Override
    public void close() {
        closing = true;
        pool.close();
    }

    @Override
    public String toString() {
        return name + " (" + address + ")";
    }
}
