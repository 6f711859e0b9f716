package io.fortress.db.pool;

import io.fortress.db.NodeRole;

import io.fortress.db.DatabaseException;
import io.fortress.db.DatabaseUnavailableException;
import io.fortress.db.DbConfig;
import io.fortress.db.HostAndPort;
import io.fortress.db.RowMapper;
import io.fortress.db.Transaction;
import io.fortress.db.TransactionCallback;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every statement by intent over one pool per node: writes and transactions to the primary,
 * autocommit reads to a replica chosen per statement (round robin over those that are up), the
 * primary when none is.
 *
 * <p>An autocommit read that fails on a replica because the connection or server is gone, because of
 * a recovery conflict (40001) or because its pool had no connection in time is retried on the next
 * replica, then the primary; a read that turns out to write (25006 on a read-only replica session) is
 * re-sent to the primary. Nothing is retried inside a transaction, after rows reached the caller, or
 * on the primary.
 */
public final class Router implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);
    private static final Logger SLOW = LoggerFactory.getLogger("io.fortress.db.SlowQuery");
    private static final int STREAM_FETCH_SIZE = 500;

    /** Why a read did not run on the replica first chosen for it. */
    public enum Reroute {
        /** No replica was up: the primary served the read. */
        NO_REPLICA,
        /** The read failed on a replica (connection lost, recovery conflict, pool timeout) and was retried. */
        RETRY,
        /** The read wrote (FOR UPDATE, nextval, ...) and was re-sent to the primary. */
        NEEDS_PRIMARY
    }

    private final NodePool primary;
    private final List<NodePool> replicas;
    private final ReadBalancer<NodePool> balancer;
    private final NodeMonitor monitor;
    private final long slowNanos;
    private final boolean logParameters;
    private final String reconnectInterval;
    private final LongAdder[] reroutes = new LongAdder[Reroute.values().length];

    private Router(DbConfig config, MeterRegistry registry) {
        this.primary = new NodePool("primary", NodeRole.PRIMARY, config.primaryAddress(), config, registry);
        List<NodePool> list = new ArrayList<>();
        List<HostAndPort> hosts = config.replicaHosts();
        for (int i = 0; i < hosts.size(); i++) {
            list.add(new NodePool("replica-" + (i + 1), NodeRole.REPLICA, hosts.get(i), config, registry));
        }
        this.replicas = List.copyOf(list);
        this.balancer = new ReadBalancer<>(replicas, NodePool::isUp, NodePool[]::new);
        List<NodePool> all = new ArrayList<>();
        all.add(primary);
        all.addAll(replicas);
        this.monitor = new NodeMonitor(List.copyOf(all), config.reconnectInterval(), balancer::refresh);
        this.slowNanos = config.slowQueryThreshold().toNanos();
        this.logParameters = config.logQueryParameters();
        this.reconnectInterval = io.fortress.db.Durations.format(config.reconnectInterval());
        Arrays.setAll(reroutes, i -> new LongAdder());
    }

    /**
     * Creates the pools and checks every node. Fails when the primary cannot be reached within the
     * connect timeout; a replica that is down is only marked down (and probed until it returns).
     */
    public static Router open(DbConfig config, MeterRegistry registry) {
        Router router = new Router(config, registry);
        try {
            router.primary.probe();
        } catch (SQLException e) {
            router.close();
            throw new DatabaseUnavailableException("cannot reach the primary " + config.primaryAddress() + " (database "
                    + config.database() + ", user " + config.user() + ") within connectTimeout "
                    + io.fortress.db.Durations.format(config.connectTimeout()) + ": " + e.getMessage(), e, "primary");
        }
        router.monitor.checkAll(config.connectTimeout().plusSeconds(1));
        router.monitor.start();
        return router;
    }

    public NodePool primary() {
        return primary;
    }

    public List<NodePool> replicas() {
        return replicas;
    }

    /** How many reads were rerouted for the given reason. */
    public long reroutes(Reroute reason) {
        return reroutes[reason.ordinal()].sum();
    }

    // ---------------------------------------------------------------- autocommit statements

    /** Runs a writing statement on the primary; returns the affected row count. */
    public long exec(String sql, Object[] params) {
        NodePool node = requireUp(primary);
        try {
            return attempt(node, sql, params, c -> {
                try (PreparedStatement ps = prepare(c, sql, params)) {
                    return execute(ps);
                }
            });
        } catch (SQLException e) {
            throw failure(e, node, sql);
        }
    }

    /** Runs a read on a replica (or the primary) and maps every row. */
    public <T> List<T> query(String sql, RowMapper<T> mapper, Object[] params) {
        return read(sql, node -> attempt(node, sql, params, c -> {
            try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
                return mapAll(rs, mapper);
            }
        }));
    }

    /** Runs a read expected to return at most one row. */
    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object[] params) {
        return atMostOne(query(sql, mapper, params), sql);
    }

    /**
     * Runs a read on a replica (or the primary) and streams its rows from a server-side cursor, a batch
     * at a time. The stream holds a connection until it is closed; use try-with-resources. Opening the
     * cursor is retried like any read; a failure after rows were handed out is not.
     */
    public <T> Stream<T> stream(String sql, RowMapper<T> mapper, Object[] params) {
        return read(sql, node -> openStream(node, sql, params, mapper));
    }

    private <T> Stream<T> openStream(NodePool node, String sql, Object[] params, RowMapper<T> mapper) throws SQLException {
        long start = System.nanoTime();
        boolean failed = true;
        Connection c = null;
        PreparedStatement ps = null;
        try {
            c = node.borrow();
            c.setAutoCommit(false); // the driver uses a cursor only inside a transaction
            ps = prepare(c, sql, params);
            ps.setFetchSize(STREAM_FETCH_SIZE);
            ResultSet rs = ps.executeQuery();
            failed = false;
            Connection connection = c;
            PreparedStatement statement = ps;
            Spliterator<T> rows = new Spliterators.AbstractSpliterator<>(Long.MAX_VALUE, Spliterator.ORDERED) {
                @Override
                public boolean tryAdvance(Consumer<? super T> action) {
                    try {
                        if (!rs.next()) {
                            return false;
                        }
                        action.accept(mapper.map(rs));
                        return true;
                    } catch (SQLException e) {
                        suspectIfGone(e, node);
                        throw failure(e, node, sql);
                    }
                }
            };
            return StreamSupport.stream(rows, false).onClose(() -> closeCursor(node, connection, statement, sql));
        } catch (SQLException | RuntimeException e) {
            if (c != null) {
                closeCursor(node, c, ps, sql);
            }
            if (e instanceof SQLException sqlException) {
                suspectIfGone(sqlException, node);
            }
            throw e;
        } finally {
            record(node, sql, params, System.nanoTime() - start, failed);
        }
    }

    private void closeCursor(NodePool node, Connection c, PreparedStatement ps, String sql) {
        try (c) {
            if (ps != null) {
                ps.close();
            }
            c.rollback(); // read-only work: nothing to keep, and it ends the cursor's transaction
        } catch (SQLException e) {
            LOG.debug("closing a cursor on {} failed: {}", node, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- transactions

    /** Runs the callback in a read-write transaction on one primary connection; commits when it returns. */
    public <T> T inTransaction(TransactionCallback<T> callback) {
        NodePool node = requireUp(primary);
        Connection c;
        try {
            c = begin(node, false);
        } catch (SQLException e) {
            throw failure(e, node, "BEGIN");
        }
        return finish(node, c, callback);
    }

    /**
     * Runs the callback in a read-only REPEATABLE READ transaction pinned to one replica (the primary
     * when none is up), so all its statements see one snapshot. Beginning it is retried on another node
     * like a read; once the callback runs, nothing is retried.
     */
    public <T> T inReadOnlyTransaction(TransactionCallback<T> callback) {
        NodePool[] order = balancer.order();
        for (NodePool node : order) {
            Connection c;
            try {
                c = begin(node, true);
            } catch (SQLException e) {
                if (!SqlStates.isRetryableRead(e)) {
                    throw failure(e, node, "BEGIN READ ONLY");
                }
                reroutes[Reroute.RETRY.ordinal()].increment();
                continue;
            }
            return finish(node, c, callback);
        }
        if (order.length == 0) {
            reroutes[Reroute.NO_REPLICA.ordinal()].increment();
        }
        NodePool node = requireUp(primary);
        try {
            return finish(node, begin(node, true), callback);
        } catch (SQLException e) {
            throw failure(e, node, "BEGIN READ ONLY");
        }
    }

    /** Borrows a connection and opens a transaction on it; read-only ones get one snapshot for all statements. */
    private Connection begin(NodePool node, boolean readOnly) throws SQLException {
        Connection c = node.borrow();
        try {
            c.setAutoCommit(false);
            if (readOnly) {
                // Standbys cannot run SERIALIZABLE; REPEATABLE READ gives one snapshot. The driver sends
                // this together with its BEGIN, in one round trip.
                try (Statement s = c.createStatement()) {
                    s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
                }
            }
            return c;
        } catch (SQLException e) {
            suspectIfGone(e, node);
            c.close();
            throw e;
        }
    }

    private <T> T finish(NodePool node, Connection c, TransactionCallback<T> callback) {
        try (c) {
            T result;
            try {
                result = callback.run(new TransactionImpl(node, c));
            } catch (Throwable t) {
                rollbackQuietly(c, t);
                throw propagate(t);
            }
            c.commit();
            return result;
        } catch (SQLException e) {
            suspectIfGone(e, node);
            throw failure(e, node, "COMMIT");
        }
    }

    private static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private static RuntimeException propagate(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new DatabaseException("transaction rolled back because its callback threw " + t, t);
    }

    // ---------------------------------------------------------------- DataSources for other frameworks

    /** Connections of the primary pool. */
    public DataSource primaryDataSource() {
        return new BorrowingDataSource("primary", () -> requireUpForDataSource(primary).borrow());
    }

    /**
     * Connections of a replica pool, chosen round robin per {@code getConnection()}; the primary's when no
     * replica is up or every replica failed to give a connection.
     */
    public DataSource readDataSource() {
        return new BorrowingDataSource("read", () -> {
            for (NodePool node : balancer.order()) {
                try {
                    return node.borrow();
                } catch (SQLException e) {
                    if (!SqlStates.isRetryableRead(e)) {
                        throw e;
                    }
                    suspectIfGone(e, node);
                }
            }
            return requireUpForDataSource(primary).borrow();
        });
    }

    private NodePool requireUpForDataSource(NodePool node) throws SQLException {
        if (!node.isUp()) {
            throw new SQLException(downMessage(node), "08001");
        }
        return node;
    }

    // ---------------------------------------------------------------- the read path

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    @FunctionalInterface
    interface NodeWork<T> {
        T run(NodePool node) throws SQLException;
    }

    /** Tries the read on each eligible replica in round-robin order, then on the primary. */
    private <T> T read(String sql, NodeWork<T> work) {
        NodePool[] order = balancer.order();
        SQLException lastFailure = null;
        NodePool lastNode = null;
        for (NodePool node : order) {
            try {
                return work.run(node);
            } catch (SQLException e) {
                if (SqlStates.isReadOnlyViolation(e)) {
                    reroutes[Reroute.NEEDS_PRIMARY.ordinal()].increment();
                    lastFailure = null;
                    break;
                }
                if (!SqlStates.isRetryableRead(e)) {
                    throw failure(e, node, sql);
                }
                reroutes[Reroute.RETRY.ordinal()].increment();
                lastFailure = e;
                lastNode = node;
            }
        }
        if (order.length == 0) {
            reroutes[Reroute.NO_REPLICA.ordinal()].increment();
        }
        if (!primary.isUp() && lastFailure != null) {
            throw failure(lastFailure, lastNode, sql);
        }
        NodePool node = requireUp(primary);
        try {
            return work.run(node);
        } catch (SQLException e) {
            throw failure(e, node, sql);
        }
    }

    /** Runs one statement on a node, recording its time, failure and slowness there. */
    private <T> T attempt(NodePool node, String sql, Object[] params, SqlWork<T> work) throws SQLException {
        long start = System.nanoTime();
        boolean failed = true;
        try (Connection c = node.borrow()) {
            T result = work.run(c);
            failed = false;
            return result;
        } catch (SQLException e) {
            suspectIfGone(e, node);
            throw e;
        } finally {
            record(node, sql, params, System.nanoTime() - start, failed);
        }
    }

    private void record(NodePool node, String sql, Object[] params, long nanos, boolean failed) {
        boolean slow = slowNanos > 0 && nanos >= slowNanos;
        node.record(nanos, failed, slow);
        if (slow) {
            SLOW.warn("slow statement on {}: {} ms{}: {} [{}]", node.name(), nanos / 1_000_000, failed ? " (failed)" : "",
                    sql, describeParameters(params));
        }
    }

    private String describeParameters(Object[] params) {
        if (params == null || params.length == 0) {
            return "no parameters";
        }
        if (logParameters) {
            return "parameters " + Arrays.deepToString(params);
        }
        return params.length + " parameter" + (params.length == 1 ? "" : "s") + " of type "
                + Arrays.stream(params).map(p -> p == null ? "null" : p.getClass().getSimpleName()).collect(Collectors.joining(", "))
                + ", values redacted";
    }

    private void suspectIfGone(SQLException e, NodePool node) {
        if (SqlStates.isConnectionFailure(e)) {
            monitor.suspect(node);
        }
    }

    private NodePool requireUp(NodePool node) {
        if (!node.isUp()) {
            throw new DatabaseUnavailableException(downMessage(node), null, node.name());
        }
        return node;
    }

    private String downMessage(NodePool node) {
        NodePool.Status status = node.status();
        return node.name() + " " + node.address() + " is down since " + status.since() + " (" + status.reason()
                + "); statements fail fast until it answers again (probed every " + reconnectInterval + ")";
    }

    private static Connection borrowOrThrow(NodePool node) {
        try {
            return node.borrow();
        } catch (SQLException e) {
            throw new DatabaseException("no connection to " + node + ": " + e.getMessage(), e, e.getSQLState(), node.name());
        }
    }

    private DatabaseException failure(SQLException e, NodePool node, String sql) {
        String statement = sql.length() > 200 ? sql.substring(0, 200) + "..." : sql;
        String state = e.getSQLState();
        String message = "statement failed on " + node + (state == null ? "" : " [SQLSTATE " + state + "]") + ": "
                + e.getMessage() + "; statement: " + statement;
        if (SqlStates.isConnectionFailure(e) || SqlStates.isPoolTimeout(e)) {
            return new DatabaseUnavailableException(message, e, node.name());
        }
        return new DatabaseException(message, e, state, node.name());
    }

    /** Runs any statement, as Go's Exec does; the affected row count, 0 for statements that return rows or none. */
    private static long execute(PreparedStatement ps) throws SQLException {
        boolean returnedRows = ps.execute();
        return returnedRows ? 0 : Math.max(0, ps.getLargeUpdateCount());
    }

    static PreparedStatement prepare(Connection c, String sql, Object[] params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        try {
            if (params != null) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    private static <T> List<T> mapAll(ResultSet rs, RowMapper<T> mapper) throws SQLException {
        List<T> rows = new ArrayList<>();
        while (rs.next()) {
            rows.add(mapper.map(rs));
        }
        return rows;
    }

    static <T> Optional<T> atMostOne(List<T> rows, String sql) {
        if (rows.size() > 1) {
            throw new DatabaseException("expected at most one row but got " + rows.size() + " from: " + sql);
        }
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }

    @Override
    public void close() {
        monitor.close();
        primary.close();
        replicas.forEach(NodePool::close);
    }

    /** The statements of one transaction on one connection, each recorded on its node. */
    private final class TransactionImpl implements Transaction {
        private final NodePool node;
        private final Connection connection;

        TransactionImpl(NodePool node, Connection connection) {
            this.node = node;
            this.connection = connection;
        }

        @Override
        public long exec(String sql, Object... params) {
            return run(sql, params, c -> {
                try (PreparedStatement ps = prepare(c, sql, params)) {
                    return execute(ps);
                }
            });
        }

        @Override
        public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
            return run(sql, params, c -> {
                try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
                    return mapAll(rs, mapper);
                }
            });
        }

        @Override
        public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
            return atMostOne(query(sql, mapper, params), sql);
        }

        @Override
        public String node() {
            return node.name();
        }

        @Override
        public Connection connection() {
            return connection;
        }

        private <T> T run(String sql, Object[] params, SqlWork<T> work) {
            long start = System.nanoTime();
            boolean failed = true;
            try {
                T result = work.run(connection);
                failed = false;
                return result;
            } catch (SQLException e) {
                suspectIfGone(e, node);
                throw failure(e, node, sql);
            } finally {
                record(node, sql, params, System.nanoTime() - start, failed);
            }
        }
    }
}
