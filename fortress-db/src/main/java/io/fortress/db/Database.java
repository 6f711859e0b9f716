package io.fortress.db;

import io.fortress.db.api.Consistency;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeRole;
import io.fortress.db.api.RowMapper;
import io.fortress.db.api.TransactionCallback;
import io.fortress.db.api.TransactionWork;

import io.fortress.db.api.NodeHealth;
import io.fortress.db.internal.health.PatroniWatch;
import io.fortress.db.internal.metrics.DatabaseMetrics;
import io.fortress.db.internal.pool.NodeCounters;
import io.fortress.db.internal.pool.NodePool;
import io.fortress.db.internal.pool.Statements;
import io.fortress.db.internal.pool.Topology;
import io.fortress.db.internal.pool.Transactions;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * A PostgreSQL primary and its streaming replicas behind one routed API: writes and transactions go
 * to the primary; reads go to a replica chosen per statement by the call's {@link Consistency} (by
 * default any healthy replica within DB_MAX_REPLICA_LAG, round robin), or to the primary when none
 * qualifies.
 *
 * <pre>{@code
 * try (Database db = Database.open(DbConfig.fromEnv())) {
 *     db.exec("INSERT INTO users(id, name) VALUES (?, ?)", id, name);
 *     ConsistencyToken token = db.consistencyToken();
 *     Optional<String> name = db.queryOne(Consistency.readYourWrites(token),
 *             "SELECT name FROM users WHERE id = ?", RowMapper.firstString(), id);
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
 * conflict, is retried on another replica and then the primary; nothing inside a transaction is. A
 * {@link HealthChecker} watches every node and routing follows its states. Failures raise
 * {@link io.fortress.db.api.DatabaseException} (with the SQLSTATE and node), or {@link io.fortress.db.api.DatabaseUnavailableException}
 * when no node can serve the call. Thread-safe.
 */
public final class Database implements AutoCloseable {
    private final DbConfig config;
    private final Topology topology;
    private final Statements statements;
    private final Transactions transactions;
    private final HealthChecker health;
    private final DatabaseMetrics metrics;

    private Database(DbConfig config, Topology topology, Statements statements, HealthChecker health, DatabaseMetrics metrics) {
        this.config = config;
        this.topology = topology;
        this.statements = statements;
        this.transactions = statements.transactions();
        this.health = health;
        this.metrics = metrics;
    }

    /**
     * Opens one pool per node, checks every node and starts the health checker. Fails with
     * {@link io.fortress.db.api.DatabaseUnavailableException} when no primary candidate accepts writes within
     * {@code connectTimeout}; a replica that is down only starts out of rotation.
     */
    public static Database open(DbConfig config) {
        return open(config, null);
    }

    /** Like {@link #open(DbConfig)}, and registers the layer's and HikariCP's meters in {@code registry}. */
    public static Database open(DbConfig config, MeterRegistry registry) {
        PatroniWatch patroni = config.patroniUrls().isEmpty() ? null : new PatroniWatch(config.patroniUrls());
        Topology topology = patroni == null ? Topology.create(config, registry) : patroni.topology(config, registry);
        Statements statements = new Statements(topology, config);
        HealthChecker health;
        try {
            health = HealthChecker.attach(topology, config, patroni);
        } catch (RuntimeException e) {
            statements.close();
            topology.close();
            throw e;
        }
        DatabaseMetrics metrics;
        try {
            metrics = registry == null ? null : DatabaseMetrics.bind(topology, statements, health.checks(), config.maxReplicaLag(),
                    registry);
        } catch (RuntimeException e) {
            health.close();
            statements.close();
            topology.close();
            throw e;
        }
        health.start();
        return new Database(config, topology, statements, health, metrics);
    }

    /**
     * Runs a writing statement (INSERT, UPDATE, DELETE, DDL, ...) on the primary; returns the affected row
     * count (0 for statements that affect no rows or return rows, which are discarded).
     */
    public long exec(String sql, Object... params) {
        return statements.exec(sql, params);
    }

    /**
     * A token covering every transaction committed on the primary so far (its WAL insert position now).
     * Take it after a write and pass it to {@link Consistency#readYourWrites} to read that write on a
     * replica; {@link ConsistencyToken#toString()} carries it across requests.
     */
    public ConsistencyToken consistencyToken() {
        return statements.consistencyToken();
    }

    /** Runs a read on a healthy replica within the maximum lag (the primary when none is) and maps every row. */
    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
        return statements.query(Consistency.any(), sql, mapper, params);
    }

    /** Runs a read on a node that satisfies {@code consistency} and maps every row. */
    public <T> List<T> query(Consistency consistency, String sql, RowMapper<T> mapper, Object... params) {
        return statements.query(consistency, sql, mapper, params);
    }

    /** Runs a read expected to return at most one row; more than one is an error. */
    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
        return statements.queryOne(Consistency.any(), sql, mapper, params);
    }

    /** Runs a read expected to return at most one row on a node that satisfies {@code consistency}. */
    public <T> Optional<T> queryOne(Consistency consistency, String sql, RowMapper<T> mapper, Object... params) {
        return statements.queryOne(consistency, sql, mapper, params);
    }

    /**
     * Streams a large read from a server-side cursor on a healthy replica (the primary when none is).
     * The stream holds a connection until closed: always use try-with-resources.
     */
    public <T> Stream<T> stream(String sql, RowMapper<T> mapper, Object... params) {
        return statements.stream(Consistency.any(), sql, mapper, params);
    }

    /** Like {@link #stream(String, RowMapper, Object...)}, on a node that satisfies {@code consistency}. */
    public <T> Stream<T> stream(Consistency consistency, String sql, RowMapper<T> mapper, Object... params) {
        return statements.stream(consistency, sql, mapper, params);
    }

    /** Runs the callback in a transaction on the primary and returns its result; commits on return, rolls back on throw. */
    public <T> T inTransaction(TransactionCallback<T> callback) {
        return transactions.inTransaction(callback);
    }

    /** Runs the callback in a transaction on the primary; commits on return, rolls back on throw. */
    public void useTransaction(TransactionWork work) {
        transactions.inTransaction(tx -> {
            work.run(tx);
            return null;
        });
    }

    /**
     * Runs the callback in a read-only REPEATABLE READ transaction pinned to one healthy replica (the
     * primary when none is): every statement in it sees the same snapshot.
     */
    public <T> T inReadOnlyTransaction(TransactionCallback<T> callback) {
        return transactions.inReadOnlyTransaction(Consistency.any(), callback);
    }

    /** Like {@link #inReadOnlyTransaction(TransactionCallback)}, on a node that satisfies {@code consistency}. */
    public <T> T inReadOnlyTransaction(Consistency consistency, TransactionCallback<T> callback) {
        return transactions.inReadOnlyTransaction(consistency, callback);
    }

    /** Connections of the primary's pool, for frameworks that take a DataSource (their statements are not in {@link #stats()}). */
    public DataSource primaryDataSource() {
        return statements.primaryDataSource();
    }

    /**
     * Connections of a healthy replica's pool, chosen round robin per {@code getConnection()}; the
     * primary's when none is healthy. For frameworks' read-only work.
     */
    public DataSource readDataSource() {
        return statements.readDataSource(Consistency.any());
    }

    /**
     * Connections for read-only work of the given consistency, chosen per {@code getConnection()} as a
     * read of it would be: {@code strong} on the primary, bounded staleness on a replica fresh enough,
     * read-your-writes on a replica that has replayed the token (checked on the connection), the
     * primary when no replica qualifies.
     */
    public DataSource readDataSource(Consistency consistency) {
        return statements.readDataSource(consistency);
    }

    /** The checker watching every node; {@link HealthChecker#status()} is the cached view of all of them. */
    public HealthChecker healthChecker() {
        return health;
    }

    /** Every node as last checked: the primary, then the replicas in configuration order. */
    public List<NodeHealth> nodes() {
        return health.status().nodes();
    }

    /** Pool and statement statistics in the GetStats shape (see {@link DbStats#toJson()}). */
    public DbStats stats() {
        List<DbStats.Pool> replicas = topology.replicas().stream().map(Database::poolStats).toList();
        long primaryQueries = 0;
        long replicaQueries = 0;
        long errors = 0;
        long slow = 0;
        long latencyNanos = 0;
        for (NodePool node : topology.pools()) {
            NodeCounters c = node.counters();
            if (node.role() == NodeRole.REPLICA) {
                replicaQueries += c.queries();
            } else {
                primaryQueries += c.queries();
            }
            errors += c.errors();
            slow += c.slowQueries();
            latencyNanos += c.latencyNanos();
        }
        return new DbStats(poolStats(topology.primary()), replicas,
                new DbStats.Queries(primaryQueries, replicaQueries, errors, slow, TimeUnit.NANOSECONDS.toMillis(latencyNanos)));
    }

    private static DbStats.Pool poolStats(NodePool node) {
        NodeCounters c = node.counters();
        return new DbStats.Pool(node.openConnections(), node.inUse(), node.idle(), c.waits(),
                TimeUnit.NANOSECONDS.toMillis(c.waitNanos()), c.idleClosed(), c.lifetimeClosed());
    }

    /**
     * A new session of the primary server outside the pools, to any of its databases (for migrations
     * and tools: restore targets, scratch databases), with the configured login, TLS and timeouts; behind
     * a pooler at the primary's DB_DIRECT_HOSTS address. The caller closes it.
     *
     * @throws java.sql.SQLException (SQLSTATE 0A000) behind a pooler when DB_DIRECT_HOSTS is not set, naming it
     */
    public java.sql.Connection connectTo(String database, String purpose) throws java.sql.SQLException {
        return topology.primary().connector().openTo(database, purpose);
    }

    /** Where writes go now: the first DB_HOST candidate, or the one that took over after a failover. */
    public HostAndPort primaryAddress() {
        return topology.primary().address();
    }

    /**
     * Where the primary server itself listens, for client tools (pg_dump, pg_restore): {@link #primaryAddress()},
     * or behind a pooler the primary's DB_DIRECT_HOSTS address.
     *
     * @throws io.fortress.db.api.DatabaseException behind a pooler when DB_DIRECT_HOSTS is not set, naming it
     */
    public HostAndPort primaryServerAddress() {
        try {
            return topology.primary().connector().directAddress("a client tool (pg_dump, pg_restore)");
        } catch (java.sql.SQLException e) {
            throw new io.fortress.db.api.DatabaseException(e.getMessage(), e, e.getSQLState(), topology.primary().name());
        }
    }

    /** The configuration this Database was opened with. */
    public DbConfig config() {
        return config;
    }

    /** Stops the health checker and the hedging threads, and closes every pool. */
    @Override
    public void close() {
        health.close();
        if (metrics != null) {
            metrics.close();
        }
        statements.close();
        topology.close();
    }

    @Override
    public String toString() {
        return "Database{primary=" + topology.primary().address() + ", replicas=" + config.replicaHosts() + "}";
    }
}
