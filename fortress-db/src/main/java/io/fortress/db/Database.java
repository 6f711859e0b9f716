package io.fortress.db;

import io.fortress.db.metrics.DatabaseMetrics;
import io.fortress.db.pool.NodeCounters;
import io.fortress.db.pool.NodePool;
import io.fortress.db.pool.Router;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * A PostgreSQL primary and its streaming replicas behind one routed API: writes and transactions go
 * to the primary; autocommit reads go to a replica chosen per statement (round robin over those that
 * are up), or to the primary when none is.
 *
 * <pre>{@code
 * try (Database db = Database.open(DbConfig.fromEnv())) {
 *     db.exec("INSERT INTO users(id, name) VALUES (?, ?)", id, name);
 *     List<String> names = db.query("SELECT name FROM users WHERE active", RowMapper.firstString());
 *     db.useTransaction(tx -> {
 *         tx.exec("UPDATE accounts SET balance = balance - ? WHERE id = ?", amount, from);
 *         tx.exec("UPDATE accounts SET balance = balance + ? WHERE id = ?", amount, to);
 *     });
 * }
 * }</pre>
 *
 * <p>Statements take {@code ?} parameters only; values are never put into SQL text. Replica sessions
 * are read-only, so a write sent through {@link #query} fails there and is re-sent to the primary. A
 * read that fails on a replica because the connection or server went away, or because of a recovery
 * conflict, is retried on another replica and then the primary; nothing inside a transaction is.
 * Failures raise {@link DatabaseException} (with the SQLSTATE and node), or
 * {@link DatabaseUnavailableException} when no node can serve the call. Thread-safe.
 */
public final class Database implements AutoCloseable {
    private final DbConfig config;
    private final Router router;
    private final DatabaseMetrics metrics;

    private Database(DbConfig config, Router router, DatabaseMetrics metrics) {
        this.config = config;
        this.router = router;
        this.metrics = metrics;
    }

    /**
     * Opens one pool per node. Fails with {@link DatabaseUnavailableException} when the primary cannot
     * be reached within {@code connectTimeout}; a replica that is down is marked down and probed until
     * it returns, without failing start-up.
     */
    public static Database open(DbConfig config) {
        return open(config, null);
    }

    /** Like {@link #open(DbConfig)}, and registers the layer's and HikariCP's meters in {@code registry}. */
    public static Database open(DbConfig config, MeterRegistry registry) {
        Router router = Router.open(config, registry);
        DatabaseMetrics metrics = registry == null ? null : DatabaseMetrics.bind(router, registry);
        return new Database(config, router, metrics);
    }

    /**
     * Runs a writing statement (INSERT, UPDATE, DELETE, DDL, ...) on the primary; returns the affected row
     * count (0 for statements that affect no rows or return rows, which are discarded).
     */
    public long exec(String sql, Object... params) {
        return router.exec(sql, params);
    }

    /** Runs a read on a replica (the primary when none is up) and maps every row. */
    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
        return router.query(sql, mapper, params);
    }

    /** Runs a read expected to return at most one row; more than one is an error. */
    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
        return router.queryOne(sql, mapper, params);
    }

    /**
     * Streams a large read from a server-side cursor on a replica (the primary when none is up). The
     * stream holds a connection until closed: always use try-with-resources.
     */
    public <T> Stream<T> stream(String sql, RowMapper<T> mapper, Object... params) {
        return router.stream(sql, mapper, params);
    }

    /** Runs the callback in a transaction on the primary and returns its result; commits on return, rolls back on throw. */
    public <T> T inTransaction(TransactionCallback<T> callback) {
        return router.inTransaction(callback);
    }

    /** Runs the callback in a transaction on the primary; commits on return, rolls back on throw. */
    public void useTransaction(TransactionWork work) {
        router.inTransaction(tx -> {
            work.run(tx);
            return null;
        });
    }

    /**
     * Runs the callback in a read-only REPEATABLE READ transaction pinned to one replica (the primary
     * when none is up): every statement in it sees the same snapshot.
     */
    public <T> T inReadOnlyTransaction(TransactionCallback<T> callback) {
        return router.inReadOnlyTransaction(callback);
    }

    /** Connections of the primary pool, for frameworks that take a DataSource (their statements are not in {@link #stats()}). */
    public DataSource primaryDataSource() {
        return router.primaryDataSource();
    }

    /**
     * Connections of a replica pool, chosen round robin per {@code getConnection()} among the replicas
     * that are up; the primary's when none is. For frameworks' read-only work.
     */
    public DataSource readDataSource() {
        return router.readDataSource();
    }

    /** Pool and statement statistics in the seed's GetStats shape. */
    public DbStats stats() {
        List<DbStats.Pool> replicas = router.replicas().stream().map(Database::poolStats).toList();
        long primaryQueries = router.primary().counters().queries();
        long replicaQueries = 0;
        long errors = 0;
        long slow = 0;
        long latencyNanos = 0;
        for (NodePool node : pools()) {
            NodeCounters c = node.counters();
            if (node.role() == NodeRole.REPLICA) {
                replicaQueries += c.queries();
            }
            errors += c.errors();
            slow += c.slowQueries();
            latencyNanos += c.latencyNanos();
        }
        return new DbStats(poolStats(router.primary()), replicas,
                new DbStats.Queries(primaryQueries, replicaQueries, errors, slow, TimeUnit.NANOSECONDS.toMillis(latencyNanos)));
    }

    private static DbStats.Pool poolStats(NodePool node) {
        NodeCounters c = node.counters();
        return new DbStats.Pool(node.openConnections(), node.inUse(), node.idle(), c.waits(),
                TimeUnit.NANOSECONDS.toMillis(c.waitNanos()), c.idleClosed(), c.lifetimeClosed());
    }

    /** Every node as the router sees it now: the primary, then the replicas in configuration order. */
    public List<NodeStatus> nodes() {
        return pools().stream().map(n -> new NodeStatus(n.name(), n.role(), n.address(), n.status().up(),
                n.status().reason(), n.status().since())).toList();
    }

    private List<NodePool> pools() {
        return Stream.concat(Stream.of(router.primary()), router.replicas().stream()).toList();
    }

    /** The configuration this Database was opened with. */
    public DbConfig config() {
        return config;
    }

    /** Closes every pool and stops probing nodes. */
    @Override
    public void close() {
        if (metrics != null) {
            metrics.close();
        }
        router.close();
    }

    @Override
    public String toString() {
        return "Database{primary=" + config.primaryAddress() + ", replicas=" + config.replicaHosts() + "}";
    }
}
