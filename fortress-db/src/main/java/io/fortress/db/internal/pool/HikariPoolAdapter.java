package io.fortress.db.internal.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.pool.HikariPool;
import io.fortress.db.api.DbConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The one place fortress meets HikariCP. It uses HikariCP's public API where that suffices (the
 * configuration, the pool MXBean, the metrics tracker factory) and relies on three things HikariCP does
 * not promise, each pinned by HikariPoolAdapterTest so that an upgrade that changes them fails the build:
 * <ul>
 *   <li>the pool behind a HikariDataSource is a {@link HikariPool}, whose {@code getConnection(long)}
 *       takes a timeout per call (borrows wait in slices, see {@link NodePool#lease()});</li>
 *   <li>a connection is retired at a random point of the last 1/{@value #VARIANCE_PROPERTY} (4 by
 *       default) of its maximum lifetime (closes are attributed to lifetime or idleness by it);</li>
 *   <li>returning a connection to the pool calls {@code clearWarnings()} on it (where
 *       {@link TrackedConnection} starts its idle clock).</li>
 * </ul>
 */
final class HikariPoolAdapter implements AutoCloseable {
    /** HikariCP's system property for the lifetime variance: 100 / factor percent of maxLifetime. */
    static final String VARIANCE_PROPERTY = "com.zaxxer.hikari.lifeTimeVarianceFactor";

    private final HikariDataSource dataSource;
    private final HikariPoolMXBean bean;
    private final HikariPool pool;

    /**
     * A pool named {@code name} over {@code connections}, sized and timed by the configuration; it never
     * fails to start because the node is down (it fills once the node is back). {@code readOnly}
     * connections begin every transaction READ ONLY (pgjdbc sends it with the BEGIN, no SET).
     */
    HikariPoolAdapter(String name, DataSource connections, DbConfig config, MetricsTrackerFactory metrics, boolean readOnly) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName(name);
        hc.setDataSource(connections);
        hc.setMaximumPoolSize(config.maxOpenConns());
        hc.setMinimumIdle(config.maxIdleConns());
        hc.setMaxLifetime(config.connMaxLifetime().toMillis());
        hc.setIdleTimeout(config.connMaxIdleTime().toMillis());
        hc.setKeepaliveTime(keepaliveMillis(config.connMaxLifetime()));
        hc.setConnectionTimeout(config.poolTimeout().toMillis());
        hc.setValidationTimeout(Math.max(250, Math.min(5_000, config.poolTimeout().toMillis() / 2)));
        hc.setInitializationFailTimeout(-1); // start even when the node is down; it is marked down and retried
        hc.setAutoCommit(true);
        hc.setReadOnly(readOnly);
        if (metrics != null) {
            hc.setMetricsTrackerFactory(metrics);
        }
        this.dataSource = new HikariDataSource(hc);
        this.bean = dataSource.getHikariPoolMXBean();
        this.pool = (HikariPool) bean;
    }

    /** HikariCP pings idle connections every keepalive; it must stay under the lifetime (and is at least 30 s). */
    private static long keepaliveMillis(Duration lifetime) {
        long keepalive = Duration.ofMinutes(2).toMillis();
        if (!lifetime.isZero() && keepalive >= lifetime.toMillis()) {
            keepalive = lifetime.toMillis() / 2;
        }
        return keepalive < 30_000 ? 0 : keepalive;
    }

    /**
     * A pooled connection within {@code timeoutMillis}.
     *
     * @throws java.sql.SQLTransientConnectionException when none came in time
     */
    Connection getConnection(long timeoutMillis) throws SQLException {
        return pool.getConnection(timeoutMillis);
    }

    /** Closes a connection borrowed from this pool and takes it out of the pool; its holder must not close it afterwards. */
    void evict(Connection borrowed) {
        dataSource.evictConnection(borrowed);
    }

    /** Retires every connection: idle ones now, busy ones when returned. */
    void softEvictConnections() {
        bean.softEvictConnections();
    }

    int totalConnections() {
        return bean.getTotalConnections();
    }

    int activeConnections() {
        return bean.getActiveConnections();
    }

    int idleConnections() {
        return bean.getIdleConnections();
    }

    int threadsAwaitingConnection() {
        return bean.getThreadsAwaitingConnection();
    }

    /** HikariCP's lifetime variance factor, as HikariCP reads it. */
    static long lifetimeVarianceFactor() {
        return Math.min(40, Math.max(2, Long.getLong(VARIANCE_PROPERTY, 4)));
    }

    /** The earliest age at which HikariCP may retire a connection of this maximum lifetime; 0 when connections live forever. */
    static long earliestRetirementNanos(Duration maxLifetime) {
        long lifetime = maxLifetime.toNanos();
        return lifetime == 0 ? 0 : lifetime - lifetime / lifetimeVarianceFactor();
    }

    /** The HikariCP pool itself, for the test that pins what this class relies on. */
    HikariPool hikariPool() {
        return pool;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
