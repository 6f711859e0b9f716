package io.fortress.db.pool;

import io.fortress.db.Consistency;
import io.fortress.db.ConsistencyToken;
import io.fortress.db.DatabaseException;
import io.fortress.db.DatabaseUnavailableException;
import io.fortress.db.DbConfig;
import io.fortress.db.HostAndPort;
import io.fortress.db.Lsn;
import io.fortress.db.NodeRole;
import io.fortress.db.ReplicaFallback;
import io.fortress.db.RowMapper;
import io.fortress.db.Transaction;
import io.fortress.db.TransactionCallback;
import io.fortress.db.health.NodeHealth;
import io.fortress.db.health.NodeState;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every statement by intent over one pool per node: writes and transactions to the primary,
 * reads to a replica chosen per statement by the caller's {@link Consistency} (round robin among
 * those that qualify), the primary when none does. Node states come from the health checker.
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
    private static final String REPLAYED_SQL = "SELECT pg_last_wal_replay_lsn()::text";
    /** PostgreSQL's WAL page size (XLOG_BLCKSZ), 8 kB unless the server was compiled otherwise. */
    private static final long WAL_PAGE_BYTES = 8192;
    private static final long SHORT_PAGE_HEADER = 24;
    private static final long LONG_PAGE_HEADER = 40;

    /** Why a read did not run on a replica of its consistency's first choice. */
    public enum Reroute {
        /** No replica was healthy and within the maximum lag: the primary served the read. */
        NO_REPLICA,
        /** No replica was healthy; the least-lagged one within DB_MAX_FALLBACK_LAG served the read. */
        LEAST_LAGGED,
        /** The read failed on a replica (connection lost, recovery conflict, pool timeout) and was retried. */
        RETRY,
        /** The read wrote (FOR UPDATE, nextval, ...) and was re-sent to the primary. */
        NEEDS_PRIMARY,
        /** No replica had replayed the caller's consistency token in time: the primary served the read. */
        TOKEN_NOT_REPLAYED,
        /** No replica was known to be within the caller's staleness bound: the primary served the read. */
        TOO_STALE
    }

    private final DbConfig config;
    private final MeterRegistry registry;
    private final List<HostAndPort> candidates;
    private final Map<HostAndPort, NodePool> primaryPools = new ConcurrentHashMap<>();
    private final List<NodePool> replicas;
    private final ReadBalancer<NodePool> balancer;
    private final long slowNanos;
    private final boolean logParameters;
    private final ReplicaFallback replicaFallback; // read once: the per-read path does no settings lookups
    private final LongAdder[] reroutes = new LongAdder[Reroute.values().length];
    private final List<Consumer<NodePool>> poolListeners = new CopyOnWriteArrayList<>();
    private volatile NodePool primary;
    private volatile Consumer<NodePool> suspicion = node -> { };

    private Router(DbConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
        this.candidates = config.primaryCandidates();
        this.primary = primaryPool(candidates.get(0));
        List<NodePool> list = new ArrayList<>();
        List<HostAndPort> hosts = config.replicaHosts();
        for (int i = 0; i < hosts.size(); i++) {
            String name = "replica-" + (i + 1);
            list.add(new NodePool(name, NodeRole.REPLICA, hosts.get(i), new NodeConnector(name, hosts.get(i), true, config), config, registry));
        }
        this.replicas = List.copyOf(list);
        this.balancer = new ReadBalancer<>(replicas, NodePool::isGood, NodePool[]::new);
        this.slowNanos = config.slowQueryThreshold().toNanos();
        this.logParameters = config.logQueryParameters();
        this.replicaFallback = config.replicaFallback();
        Arrays.setAll(reroutes, i -> new LongAdder());
    }

    /** Creates the pools of the first primary candidate and of every replica; the health checker then checks them. */
    public static Router create(DbConfig config, MeterRegistry registry) {
        return new Router(config, registry);
    }

    /** The node writes go to now. */
    public NodePool primary() {
        return primary;
    }

    public List<NodePool> replicas() {
        return replicas;
    }

    /** Every address that may be the primary (DB_HOST), in configured order. */
    public List<HostAndPort> primaryCandidates() {
        return candidates;
    }

    /** The name of the candidate at {@code address}: {@code primary}, then {@code primary-2}, ... */
    public String candidateName(HostAndPort address) {
        int i = candidates.indexOf(address);
        return i == 0 ? "primary" : "primary-" + (i + 1);
    }

    /** A connector for a primary candidate (primary session settings), for health checks; creates no pool. */
    public NodeConnector candidateConnector(HostAndPort address) {
        NodePool pool = primaryPools.get(address);
        return pool != null ? pool.connector() : new NodeConnector(candidateName(address), address, false, config);
    }

    /** The pool of a primary candidate if it was created. */
    public Optional<NodePool> existingPrimaryPool(HostAndPort address) {
        return Optional.ofNullable(primaryPools.get(address));
    }

    /** The pool of a primary candidate, created on first use. */
    public NodePool primaryPool(HostAndPort address) {
        return primaryPools.computeIfAbsent(address, a -> {
            String name = candidateName(a);
            NodePool pool = new NodePool(name, NodeRole.PRIMARY, a, new NodeConnector(name, a, false, config), config, registry);
            poolListeners.forEach(l -> l.accept(pool));
            return pool;
        });
    }

    /** Sends writes to another candidate from now on; the old primary's connections are retired. */
    public void switchPrimary(NodePool next) {
        NodePool previous = primary;
        if (next == previous) {
            return;
        }
        primary = next;
        previous.evictConnections();
    }

    /** Called with every pool created after start-up (a primary candidate), e.g. to register its meters. */
    public void onPoolCreated(Consumer<NodePool> listener) {
        poolListeners.add(listener);
    }

    /** Called with a node on which a statement lost its connection, or a write found a read-only node. */
    public void onSuspicion(Consumer<NodePool> listener) {
        this.suspicion = listener;
    }

    /** Re-reads which replicas are healthy; the health checker calls it after every state change. */
    public void refresh() {
        balancer.refresh();
    }

    /** How many reads were rerouted for the given reason. */
    public long reroutes(Reroute reason) {
        return reroutes[reason.ordinal()].sum();
    }

    // ---------------------------------------------------------------- writes

    /** Runs a statement on the primary; returns the affected row count. */
    public long exec(String sql, Object[] params) {
        NodePool node = writablePrimary();
        try {
            return attempt(node, null, sql, params, c -> {
                try (PreparedStatement ps = prepare(c, sql, params)) {
                    return execute(ps);
                }
            });
        } catch (SQLException e) {
            throw failure(e, node, sql);
        }
    }

    /** The primary's WAL insert position now: at or after the commit of every transaction committed so far. */
    public ConsistencyToken consistencyToken() {
        NodePool node = writablePrimary();
        String sql = "SELECT pg_current_wal_insert_lsn()::text";
        try {
            return attempt(node, null, sql, null, c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                    rs.next();
                    return new ConsistencyToken(recordBoundary(Lsn.parse(rs.getString(1))));
                }
            });
        } catch (SQLException e) {
            throw failure(e, node, sql);
        }
    }

    /**
     * The insert position points past a page header when it sits at the start of a WAL page, while a
     * replica's replay position is the end of the last record, the page boundary itself: without this a
     * token taken on an idle primary could stay out of every replica's reach. No record ends inside a
     * page header (24 bytes, 40 on a segment's first page), so the mapping back is exact.
     */
    static long recordBoundary(long insertLsn) {
        long inPage = insertLsn % WAL_PAGE_BYTES;
        return inPage == SHORT_PAGE_HEADER || inPage == LONG_PAGE_HEADER ? insertLsn - inPage : insertLsn;
    }

    // ---------------------------------------------------------------- reads

    /** Runs a read on a node that satisfies the consistency and maps every row. */
    public <T> List<T> query(Consistency consistency, String sql, RowMapper<T> mapper, Object[] params) {
        return read(consistency, sql, (node, guard) -> attempt(node, guard, sql, params, c -> {
            try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
                return mapAll(rs, mapper);
            }
        }));
    }

    /** Runs a read expected to return at most one row. */
    public <T> Optional<T> queryOne(Consistency consistency, String sql, RowMapper<T> mapper, Object[] params) {
        return atMostOne(query(consistency, sql, mapper, params), sql);
    }

    /**
     * Runs a read and streams its rows from a server-side cursor, a batch at a time. The stream holds a
     * connection until it is closed; use try-with-resources. Opening the cursor is retried like any
     * read; a failure after rows were handed out is not.
     */
    public <T> Stream<T> stream(Consistency consistency, String sql, RowMapper<T> mapper, Object[] params) {
        return read(consistency, sql, (node, guard) -> openStream(node, guard, sql, params, mapper));
    }

    private <T> Stream<T> openStream(NodePool node, ReplayGuard guard, String sql, Object[] params, RowMapper<T> mapper)
            throws SQLException {
        long start = System.nanoTime();
        boolean failed = true;
        boolean replayed = false;
        Connection c = null;
        PreparedStatement ps = null;
        try {
            c = node.borrow();
            checkReplayed(node, guard, c);
            replayed = true;
            start = System.nanoTime();
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
                        node.recordError(); // the statement was counted when its cursor opened
                        suspectIfGone(e, node);
                        throw failure(e, node, sql);
                    }
                }
            };
            return StreamSupport.stream(rows, false).onClose(() -> closeCursor(node, connection, statement));
        } catch (SQLException | RuntimeException e) {
            if (c != null) {
                closeCursor(node, c, ps);
            }
            if (e instanceof SQLException sqlException) {
                suspectIfGone(sqlException, node);
            }
            throw e;
        } finally {
            if (replayed) {
                record(node, sql, params, System.nanoTime() - start, failed);
            }
        }
    }

    private void closeCursor(NodePool node, Connection c, PreparedStatement ps) {
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
        NodePool node = writablePrimary();
        Connection c;
        try {
            c = begin(node, null, false);
        } catch (SQLException e) {
            throw failure(e, node, "BEGIN");
        }
        return finish(node, c, callback);
    }

    /**
     * Runs the callback in a read-only REPEATABLE READ transaction pinned to one node that satisfies the
     * consistency (the primary when none does), so all its statements see one snapshot. Beginning it is
     * retried like a read; once the callback runs, nothing is.
     */
    public <T> T inReadOnlyTransaction(Consistency consistency, TransactionCallback<T> callback) {
        Begun begun = read(consistency, "BEGIN READ ONLY", (node, guard) -> new Begun(node, begin(node, guard, true)));
        return finish(begun.node, begun.connection, callback);
    }

    private record Begun(NodePool node, Connection connection) {
    }

    /** Borrows a connection and opens a transaction on it; read-only ones get one snapshot for all statements. */
    private Connection begin(NodePool node, ReplayGuard guard, boolean readOnly) throws SQLException {
        Connection c = node.borrow();
        try {
            checkReplayed(node, guard, c);
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

    /** Connections of the current primary's pool. */
    public DataSource primaryDataSource() {
        return new BorrowingDataSource("primary", () -> {
            NodePool node = primary;
            if (!node.isGood()) {
                throw new SQLException(downMessage(node), "08001");
            }
            return node.borrow();
        });
    }

    /**
     * Connections of a healthy replica's pool, chosen round robin per {@code getConnection()}; the
     * primary's when no replica is healthy or every replica failed to give a connection.
     */
    public DataSource readDataSource() {
        return new BorrowingDataSource("read", () -> read(Consistency.any(), "getConnection()", (node, guard) -> {
            try {
                return node.borrow();
            } catch (SQLException e) {
                suspectIfGone(e, node);
                throw e;
            }
        }));
    }

    // ---------------------------------------------------------------- the read path

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** A read attempt on one node; {@code guard} (null when not needed) checks the node replayed far enough. */
    @FunctionalInterface
    interface NodeWork<T> {
        T run(NodePool node, ReplayGuard guard) throws SQLException;
    }

    /** A consistency token a node must have replayed before the read runs there. */
    record ReplayGuard(ConsistencyToken token) {
    }

    /** Thrown when a replica has not yet replayed a read's token; cheap, it carries no stack trace. */
    private static final class NotReplayedYet extends SQLException {
        private static final long serialVersionUID = 1L;
        private static final NotReplayedYet INSTANCE = new NotReplayedYet();

        private NotReplayedYet() {
            super("not replayed yet", null, 0);
            setStackTrace(new StackTraceElement[0]);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Checks on the borrowed connection that the node replayed the guard's token; refreshes what is known. */
    private static void checkReplayed(NodePool node, ReplayGuard guard, Connection c) throws SQLException {
        if (guard == null || guard.token().isReachedBy(node.knownReplayedLsn())) {
            return;
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(REPLAYED_SQL)) {
            rs.next();
            String replayed = rs.getString(1);
            if (replayed != null) {
                node.advanceReplayedLsn(Lsn.parse(replayed));
            }
        }
        if (!guard.token().isReachedBy(node.knownReplayedLsn())) {
            throw NotReplayedYet.INSTANCE;
        }
    }

    private <T> T read(Consistency consistency, String sql, NodeWork<T> work) {
        if (consistency instanceof Consistency.Strong) {
            return onPrimary(sql, work);
        }
        if (consistency instanceof Consistency.ReadYourWrites ryw) {
            return readYourWrites(ryw.token(), sql, work);
        }
        NodePool[] candidates;
        Reroute fallbackReason;
        if (consistency instanceof Consistency.BoundedStaleness bounded) {
            candidates = balancer.eligible(node -> withinStaleness(node, bounded.maxLag()));
            fallbackReason = Reroute.TOO_STALE;
        } else {
            candidates = balancer.eligible();
            fallbackReason = Reroute.NO_REPLICA;
            if (candidates.length == 0 && replicaFallback == ReplicaFallback.LEAST_LAGGED) {
                Optional<NodePool> least = leastLagged();
                if (least.isPresent()) {
                    candidates = new NodePool[] {least.get()};
                    fallbackReason = Reroute.LEAST_LAGGED;
                }
            }
        }
        if (candidates.length == 0 || fallbackReason == Reroute.LEAST_LAGGED) {
            reroutes[fallbackReason.ordinal()].increment();
        }
        SQLException lastFailure = null;
        NodePool lastNode = null;
        int n = candidates.length;
        int start = balancer.start(n);
        for (int i = 0; i < n; i++) {
            NodePool node = candidates[(start + i) % n];
            try {
                return work.run(node, null);
            } catch (SQLException e) {
                if (needsPrimary(e, node, sql)) {
                    return onPrimary(sql, work);
                }
                lastFailure = e;
                lastNode = node;
            }
        }
        if (lastFailure != null && !primary.isGood()) {
            throw failure(lastFailure, lastNode, sql);
        }
        return onPrimary(sql, work);
    }

    /**
     * Tries replicas that may have replayed the token, checking each on the borrowed connection, for up
     * to DB_READ_YOUR_WRITES_WAIT; then the primary.
     */
    private <T> T readYourWrites(ConsistencyToken token, String sql, NodeWork<T> work) {
        ReplayGuard guard = new ReplayGuard(token);
        long deadline = System.nanoTime() + config.readYourWritesWait().toNanos();
        long pause = TimeUnit.MICROSECONDS.toNanos(100); // streaming replicas usually replay within a millisecond
        while (true) {
            NodePool[] candidates = balancer.eligible(Router::mayServeTokens);
            int n = candidates.length;
            if (n == 0) {
                break; // no replica could ever qualify: waiting would only delay the read
            }
            int start = balancer.start(n);
            for (int i = 0; i < n; i++) {
                NodePool node = candidates[(start + i) % n];
                try {
                    return work.run(node, guard);
                } catch (NotReplayedYet notYet) {
                    // try the next replica
                } catch (SQLException e) {
                    if (needsPrimary(e, node, sql)) {
                        return onPrimary(sql, work);
                    }
                }
            }
            if (System.nanoTime() + pause > deadline) {
                break;
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(20));
        }
        reroutes[Reroute.TOKEN_NOT_REPLAYED.ordinal()].increment();
        return onPrimary(sql, work);
    }

    /**
     * After a read failed on a replica: true when it must go to the primary (it wrote: 25006); false when
     * the next node may be tried (a lost connection, a recovery conflict, a pool timeout).
     *
     * @throws DatabaseException for any other failure, which another node would only repeat
     */
    private boolean needsPrimary(SQLException e, NodePool node, String sql) {
        if (SqlStates.isReadOnlyViolation(e)) {
            reroutes[Reroute.NEEDS_PRIMARY.ordinal()].increment();
            return true;
        }
        if (!SqlStates.isRetryableRead(e)) {
            throw failure(e, node, sql);
        }
        reroutes[Reroute.RETRY.ordinal()].increment();
        return false;
    }

    private <T> T onPrimary(String sql, NodeWork<T> work) {
        NodePool node = writablePrimary();
        try {
            return work.run(node, null);
        } catch (SQLException e) {
            throw failure(e, node, sql);
        }
    }

    /**
     * A replica known to hold every commit the primary made up to {@code maxLag} ago: the last time the
     * primary was seen at a position the replica has replayed is at most that long ago. An upper bound,
     * so the guarantee holds whatever the sampling interval and the age of the last check.
     */
    private static boolean withinStaleness(NodePool node, Duration maxLag) {
        long fresh = node.freshAsOfNanos();
        return mayServeTokens(node) && fresh != Long.MIN_VALUE && System.nanoTime() - fresh <= maxLag.toNanos();
    }

    /** A node that answers and replays WAL as a standby, whatever its lag. */
    private static boolean mayServeTokens(NodePool node) {
        NodeState state = node.health().state();
        return state.isReachable() && state != NodeState.PROMOTED;
    }

    private Optional<NodePool> leastLagged() {
        double bound = config.maxFallbackLag().toNanos() / 1e9;
        return replicas.stream()
                .filter(n -> mayServeTokens(n) && n.health().state() != NodeState.RECEIVER_DOWN)
                .filter(n -> n.health().lagSeconds() != null && n.health().lagSeconds() <= bound)
                .min(Comparator.comparingDouble(n -> n.health().lagSeconds()));
    }

    /** Runs one statement on a node, recording its time, failure and slowness there. */
    private <T> T attempt(NodePool node, ReplayGuard guard, String sql, Object[] params, SqlWork<T> work) throws SQLException {
        long start = System.nanoTime();
        Connection borrowed;
        try {
            borrowed = node.borrow();
        } catch (SQLException e) {
            record(node, sql, params, System.nanoTime() - start, true); // the caller's statement failed: no connection
            suspectIfGone(e, node);
            throw e;
        }
        try (Connection c = borrowed) {
            checkReplayed(node, guard, c); // a replica found behind is no failed statement: nothing is recorded
            return recorded(node, sql, params, start, c, work);
        } catch (SQLException e) {
            suspectIfGone(e, node);
            throw e;
        }
    }

    /** Runs the work on {@code c} and records it on the node: its time since {@code start}, and whether it failed. */
    private <T> T recorded(NodePool node, String sql, Object[] params, long start, Connection c, SqlWork<T> work) throws SQLException {
        boolean failed = true;
        try {
            T result = work.run(c);
            failed = false;
            return result;
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

    /**
     * A lost connection or a borrow that timed out makes a node that is thought up suspect; so does a
     * write refused as read-only by the primary (demoted?).
     */
    private void suspectIfGone(SQLException e, NodePool node) {
        if (e instanceof NotReplayedYet) {
            return;
        }
        if (SqlStates.isConnectionFailure(e) || (SqlStates.isPoolTimeout(e) && node.isReachable())
                || (node.role() == NodeRole.PRIMARY && SqlStates.isReadOnlyViolation(e))) {
            suspicion.accept(node);
        }
    }

    /** The current primary, or an immediate failure while it is known to be down or read-only. */
    private NodePool writablePrimary() {
        NodePool node = primary;
        if (!node.isGood()) {
            throw new DatabaseUnavailableException(downMessage(node), null, node.name());
        }
        return node;
    }

    private String downMessage(NodePool node) {
        NodeHealth h = node.health();
        return node.name() + " " + node.address() + " is " + h.state() + " since " + h.since() + " (" + h.reason()
                + "); statements fail fast until the health checker finds it back";
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
                    bind(ps, i + 1, params[i]);
                }
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    /**
     * Binds a parameter as setObject would, through the typed setter for the common types: pgjdbc's
     * setObject finds that setter by testing the value against a long list of types on every call.
     */
    private static void bind(PreparedStatement ps, int index, Object value) throws SQLException {
        if (value instanceof Integer v) {
            ps.setInt(index, v);
        } else if (value instanceof Long v) {
            ps.setLong(index, v);
        } else if (value instanceof String v) {
            ps.setString(index, v);
        } else {
            ps.setObject(index, value);
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
        primaryPools.values().forEach(NodePool::close);
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
            try {
                return recorded(node, sql, params, System.nanoTime(), connection, work);
            } catch (SQLException e) {
                suspectIfGone(e, node);
                throw failure(e, node, sql);
            }
        }
    }
}
