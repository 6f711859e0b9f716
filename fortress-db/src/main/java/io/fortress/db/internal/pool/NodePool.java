package io.fortress.db.internal.pool;

import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.api.NodeRole;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeState;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One node (the primary or a replica): its HikariCP pool, which lends connections as {@link Lease}s, its
 * counters and its health as last checked.
 *
 * <p>Pool settings map Go's database/sql ones: maxOpenConns → maximumPoolSize, maxIdleConns → minimumIdle,
 * connMaxLifetime → maxLifetime, connMaxIdleTime → idleTimeout, poolTimeout → connectionTimeout. The
 * pool never fails to start because its node is down; it fills once the node is back.
 */
public final class NodePool implements ReadTarget, AutoCloseable {
    /** How long one slice of a borrow waits before checking that the node is still up. */
    static final long WAIT_SLICE_MILLIS = 200;
    /** The slice of a hedged read's attempt, which stops waiting soon after the other attempt answered. */
    static final long LEG_SLICE_MILLIS = 10;
    /**
     * A borrow that takes this long waited for a connection (one to be returned or created). A borrow
     * served from the pool takes microseconds; asking HikariCP whether an idle connection exists before
     * every borrow instead cost 3% of a point read's throughput.
     */
    static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final String name;
    private final NodeRole role;
    private final boolean behindPoolerReplica;
    private volatile boolean sessionsReadOnly;
    private final HostAndPort address;
    private final NodeConnector connector;
    private final HikariPoolAdapter pool;
    private final BorrowMetrics borrowMetrics;
    private final long poolTimeoutMillis;
    private final NodeCounters counters = new NodeCounters();
    private final SlowStatementLog slowLog;
    /** Told of a failure that says this node is gone: the health checker looks at it at once. */
    private final Consumer<NodePool> suspicion;
    private final int minimumIdle;
    private final long idleTimeoutNanos;
    private final long earliestRetirementNanos;
    private final AtomicLong replayedLsn = new AtomicLong();
    /** Recent statement latency, for the hedge delay; null while reads are not hedged. */
    private final LatencyWindow latency;
    private volatile NodeHealth health;
    private volatile long freshAsOfNanos = Long.MIN_VALUE;
    private volatile boolean closing;

    NodePool(String name, NodeRole role, HostAndPort address, NodeConnector connector, DbConfig config, MeterRegistry registry,
            Consumer<NodePool> suspicion) {
        this.name = name;
        this.role = role;
        this.address = address;
        this.connector = connector;
        this.minimumIdle = config.maxIdleConns();
        this.idleTimeoutNanos = config.connMaxIdleTime().toNanos();
        this.earliestRetirementNanos = HikariPoolAdapter.earliestRetirementNanos(config.connMaxLifetime());
        this.health = NodeHealth.unchecked(name, role, address);
        this.slowLog = new SlowStatementLog(config);
        this.suspicion = suspicion;
        this.latency = config.hedgeReads() ? new LatencyWindow() : null;
        connector.onClose(this::connectionClosed);

        this.borrowMetrics = registry == null ? null : new BorrowMetrics(registry);
        this.poolTimeoutMillis = config.poolTimeout().toMillis();
        // Behind a pooler no session setting guards a replica (see NodeConnector): its transactions begin
        // READ ONLY, and its single-statement reads carry SET TRANSACTION READ ONLY (Jdbc.query).
        this.behindPoolerReplica = role == NodeRole.REPLICA && config.behindPooler();
        this.pool = new HikariPoolAdapter(name, connector, config, borrowMetrics, behindPoolerReplica);
    }

    public String name() {
        return name;
    }

    public NodeRole role() {
        return role;
    }

    /**
     * True when each read must make its own transaction read-only: a replica behind a pooler, whose
     * sessions fortress cannot make read-only once for all (a write sent there by mistake must fail,
     * 25006, even once the node was promoted and before the health checker saw it), unless the server
     * makes them so itself (ALTER ROLE ... SET default_transaction_read_only = on), as the health check
     * last read through the pooler.
     */
    boolean guardsEachRead() {
        return behindPoolerReplica && !sessionsReadOnly;
    }

    /** What the last health check read: whether this node's sessions begin read-only by themselves. */
    public void sessionsReadOnly(boolean readOnly) {
        this.sessionsReadOnly = readOnly;
    }

    public HostAndPort address() {
        return address;
    }

    public NodeCounters counters() {
        return counters;
    }

    /** The node as the health checker last saw it. */
    public NodeHealth health() {
        return health;
    }

    /** Set by the health checker after every check. */
    public void setHealth(NodeHealth health) {
        this.health = health;
        if (health.walLsn() != null && role == NodeRole.REPLICA) {
            // a check tells the truth even backwards (a replica rebuilt from an older base backup)
            replayedLsn.set(health.walLsn());
        }
    }

    @Override
    public NodeState state() {
        return health.state();
    }

    @Override
    public Double lagSeconds() {
        return health.lagSeconds();
    }

    /** True while the node is in a good state: a primary that is UP, a replica that is STREAMING. */
    public boolean isGood() {
        return health.state().isGood();
    }

    /** True while the node answers checks, whatever its state. */
    public boolean isReachable() {
        return health.state().isReachable();
    }

    @Override
    public long freshAsOfNanos() {
        return freshAsOfNanos;
    }

    /** Set by the health checker with every check of a replica. */
    public void setFreshAsOf(long nanoTime) {
        this.freshAsOfNanos = nanoTime;
    }

    /** The furthest WAL position this replica is known to have replayed (from checks and read-your-writes probes). */
    public long knownReplayedLsn() {
        return replayedLsn.get();
    }

    /** Records a replayed position seen on this replica; positions only move forward. */
    public void advanceReplayedLsn(long lsn) {
        replayedLsn.accumulateAndGet(lsn, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
    }

    /** The connector of this node, for connections outside the pool (health checks). */
    public NodeConnector connector() {
        return connector;
    }

    /** Retires every pooled connection (idle ones now, busy ones when returned), e.g. after the node restarted. */
    public void evictConnections() {
        pool.softEvictConnections();
    }

    /**
     * The node no longer answers: statements running on it fail now (their connections are aborted,
     * SQLSTATE 08006) rather than wait for a server that may never reply, every pooled connection is
     * retired, and new connections wait until {@link #warm(Duration)}. Returns the connections that were
     * in use, which are counted.
     */
    public int abortInFlight() {
        connector.holdWhileDown();
        int busy = inUse();
        connector.abortAll();
        pool.softEvictConnections();
        counters.aborted.add(busy);
        return busy;
    }

    /**
     * Lets the pool connect again (after {@link #abortInFlight()}) and makes sure it holds a connection,
     * opening one (through HikariCP, which validates it) when
     * it holds none, within {@code timeout}; the health checker puts a node back into rotation only once
     * this succeeds, so no caller waits on an empty pool.
     *
     * @throws SQLException when no connection could be opened in time
     */
    public void warm(Duration timeout) throws SQLException {
        connector.reopen();
        if (openConnections() > 0) {
            return;
        }
        pool.getConnection(Math.max(250, timeout.toMillis())).close();
    }

    /** Closes a connection of this pool's that must not be lent again (see {@link Lease#retire()}). */
    void evict(Connection borrowed) {
        pool.evict(borrowed);
    }

    /** Connections open now (in use and idle). */
    public int openConnections() {
        return pool.totalConnections();
    }

    /** Connections borrowed now. */
    public int inUse() {
        return pool.activeConnections();
    }

    /** Connections idle in the pool now. */
    public int idle() {
        return pool.idleConnections();
    }

    /** Threads waiting for a connection now. */
    public int pending() {
        return pool.threadsAwaitingConnection();
    }

    /**
     * Lends a pooled connection (see {@link #borrow()}); a failure to borrow makes the node suspect when
     * it says the node is gone.
     */
    Lease lease() throws SQLException {
        return lease((HedgeLeg) null);
    }

    /**
     * {@link #lease()} for an attempt of a hedged read ({@code leg} non-null): it stops waiting for a
     * connection within {@link #LEG_SLICE_MILLIS} once the other attempt answered.
     */
    Lease lease(HedgeLeg leg) throws SQLException {
        try {
            return new Lease(this, Deadlines.limited(borrow(leg)));
        } catch (SQLException e) {
            suspectIfGone(e);
            throw e;
        }
    }

    /**
     * Lends a pooled connection on which the guard's token was found replayed (any connection when
     * {@code guard} is null); the connection goes back when it is not.
     *
     * @throws ReplayGuard.NotReplayedYet when the node is behind the token
     */
    Lease lease(ReplayGuard guard) throws SQLException {
        Lease lease = lease();
        try {
            lease.requireReplayed(guard);
            return lease;
        } catch (SQLException | RuntimeException e) {
            try {
                lease.close();
            } catch (SQLException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /**
     * Borrows a pooled connection, waiting up to the pool timeout, but failing at once when the node is
     * down and within {@link #WAIT_SLICE_MILLIS} when it goes down during the wait: HikariCP alone would
     * keep a caller waiting the whole timeout for a node that is gone. A borrow that took at least
     * {@link #WAIT_NANOS} counts as a wait, with its duration, as Go's sql.DBStats counts WaitCount and
     * WaitDuration.
     *
     * @throws SQLTransientConnectionException when no connection came in time, or the node is down
     */
    private Connection borrow(HedgeLeg leg) throws SQLException {
        if (!isReachable()) {
            throw new SQLTransientConnectionException(name + " is " + health.state() + ": " + health.reason(), "08001");
        }
        long start = System.nanoTime();
        long poolDeadline = start + TimeUnit.MILLISECONDS.toNanos(poolTimeoutMillis);
        long deadline = Deadlines.waitUntil(start, poolDeadline, name); // the caller's Deadline when it comes first
        boolean[] slicing = borrowMetrics == null ? null : BorrowMetrics.beginSlices();
        try {
            long slice = leg == null ? WAIT_SLICE_MILLIS : LEG_SLICE_MILLIS;
            while (true) {
                long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                try {
                    long wait = Math.max(1, Math.min(slice, remainingMillis));
                    Connection c = leg == null ? pool.getConnection(wait) : leg.borrow(() -> pool.getConnection(wait));
                    record(borrowMetrics, start, false);
                    return c;
                } catch (SQLTransientConnectionException timeout) {
                    if (!isReachable()) {
                        record(borrowMetrics, start, true);
                        throw new SQLTransientConnectionException(name + " became " + health.state()
                                + " while waiting for a connection: " + health.reason(), "08001", timeout);
                    }
                    if (leg != null && leg.unwanted()) {
                        // no failure of the node's (not a pool timeout, which would make it suspect): the read was answered elsewhere
                        throw new SQLException(name + ": stopped waiting for a connection, the hedged read was answered by "
                                + "another node", "57014", timeout);
                    }
                    if (remainingMillis <= slice && deadline != poolDeadline) {
                        throw Deadlines.noConnection(name, start, timeout); // no failure of the node's either
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
            if (slicing != null) {
                slicing[0] = false;
            }
            long waited = System.nanoTime() - start;
            if (waited >= WAIT_NANOS) {
                counters.waits.increment();
                counters.waitNanos.add(waited);
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

    /**
     * Makes this node suspect when a failure says it is gone: a lost connection, a borrow that timed out
     * while the node is thought up, or a write refused as read-only by the primary (demoted?). A replica
     * behind a token is not gone. Every failure on a {@link Lease} passes here.
     */
    void suspectIfGone(SQLException e) {
        if (e instanceof ReplayGuard.NotReplayedYet) {
            return;
        }
        if (SqlStates.isConnectionFailure(e) || (SqlStates.isPoolTimeout(e) && isReachable())
                || (role == NodeRole.PRIMARY && SqlStates.isReadOnlyViolation(e))) {
            suspicion.accept(this);
        }
    }

    /** Records one statement of a caller run on this node, timed by the caller, and logs it when it was slow. */
    void recordStatement(String sql, Object[] params, long nanos, boolean failed) {
        recordStatement(sql, params, nanos, failed, true);
    }

    /**
     * {@link #recordStatement(String, Object[], long, boolean)}; {@code complete} is false for the attempt of
     * a hedged read that lost, cut short by its cancel: its time says nothing of the node's latency.
     */
    void recordStatement(String sql, Object[] params, long nanos, boolean failed, boolean complete) {
        if (latency != null && complete) {
            latency.record(nanos);
        }
        boolean slow = slowLog.isSlow(nanos);
        record(nanos, failed, slow);
        if (slow) {
            slowLog.log(this, sql, params, nanos, failed);
        }
    }

    /** Recent statement latency (reads are hedged only when it exists). */
    LatencyWindow latency() {
        return latency;
    }

    /** Records a failure of a statement already counted (a stream that broke while rows were read). */
    void recordError() {
        counters.errors.increment();
    }

    /** Records one statement run on this node. */
    public void record(long nanos, boolean failed, boolean slow) {
        counters.queries.increment();
        counters.latencyNanos.add(nanos);
        if (failed) {
            counters.errors.increment();
        }
        if (slow) {
            counters.slowQueries.increment();
        }
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
        if (pastIdle && (!pastLifetime || pool.idleConnections() >= minimumIdle)) {
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
        connector.shutDown();
        pool.close();
    }

    @Override
    public String toString() {
        return name + " (" + address + ")";
    }
}
