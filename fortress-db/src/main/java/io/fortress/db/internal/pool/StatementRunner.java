package io.fortress.db.internal.pool;

import io.fortress.db.api.Consistency;
import io.fortress.db.api.ConsistencyToken;
import io.fortress.db.api.DatabaseException;
import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.InvalidConsistencyTokenException;
import io.fortress.db.internal.Lsn;
import io.fortress.db.api.NodeRole;
import io.fortress.db.api.NodeHealth;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs statements on the nodes the read policy chooses: leases a connection ({@link Lease}: suspicion,
 * recording and the return to the pool happen there), runs the work, maps failures to
 * {@link DatabaseException}, and retries an autocommit read that failed on a replica (connection lost,
 * recovery conflict, pool timeout) on the next candidate, then the primary; a read that wrote (25006) goes to the primary. Nothing is retried
 * on the primary or once the work has handed anything out. With DB_HEDGE_READS, a read safe to send twice is hedged ({@link Hedger}).
 */
final class StatementRunner {
    private static final String POSITION_SQL = "SELECT pg_current_wal_insert_lsn()::text";

    private final Topology topology;
    private final long readYourWritesWaitNanos;
    private final LongAdder[] reroutes = new LongAdder[Reroute.values().length];
    /** The furthest WAL insert position seen on the primary (tokens handed out, checks of tokens); only moves forward. */
    private final AtomicLong primaryPosition = new AtomicLong();
    /** Null when reads are not hedged (DB_HEDGE_READS=false). */
    private final Hedger hedger;

    StatementRunner(Topology topology, DbConfig config) {
        this.topology = topology;
        this.hedger = config.hedgeReads() ? new Hedger(topology, config) : null;
        this.readYourWritesWaitNanos = config.readYourWritesWait().toNanos();
        Arrays.setAll(reroutes, i -> new LongAdder());
    }

    /** Work on a leased connection. */
    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** A read attempt on one node; {@code guard} (null when not needed) checks the node replayed far enough. */
    @FunctionalInterface
    interface NodeWork<T> {
        T run(NodePool node, ReplayGuard guard) throws SQLException;
    }

    /**
     * A read attempt that may be one of a hedged read's two ({@code leg} non-null): it hands the leg its
     * connection, which the leg gives back or retires.
     */
    @FunctionalInterface
    interface LegWork<T> {
        T run(NodePool node, ReplayGuard guard, HedgeLeg leg) throws SQLException;
    }

    long reroutes(Reroute reason) {
        return reroutes[reason.ordinal()].sum();
    }

    /** Hedged reads' counts; 0 while reads are not hedged. */
    long hedges(HedgeCount what) {
        return hedger == null ? 0 : hedger.count(what);
    }

    /** Stops the hedging threads. */
    void close() {
        if (hedger != null) {
            hedger.close();
        }
    }

    // ---------------------------------------------------------------- choosing the node

    /** Runs the work on the primary; its failures are final. */
    <T> T onPrimary(String sql, NodeWork<T> work) {
        NodePool node = writablePrimary();
        try {
            return work.run(node, null);
        } catch (SQLException e) {
            throw failure(e, node, sql);
        }
    }

    /** Runs a read on the candidates the read policy gives for the consistency, one after the other, then on the primary. */
    <T> T read(Consistency consistency, String sql, NodeWork<T> work) {
        return read(consistency, sql, (node, guard, leg) -> work.run(node, guard), false);
    }

    /**
     * {@link #read}, for a read that is safe to send twice (one autocommit statement whose rows reach the
     * caller only once it ended): when it runs on a replica and has not answered after its hedge delay,
     * it is sent to the next candidate of the same plan too (see {@link Hedger}).
     */
    <T> T hedgeableRead(Consistency consistency, String sql, LegWork<T> work) {
        return read(consistency, sql, work, hedger != null);
    }

    private <T> T read(Consistency consistency, String sql, LegWork<T> work, boolean hedge) {
        ReadPolicy.Plan<NodePool> plan;
        if (consistency instanceof Consistency.Strong) {
            return onPrimary(sql, (node, guard) -> work.run(node, guard, null));
        } else if (consistency instanceof Consistency.ReadYourWrites ryw) {
            return readYourWrites(ryw.token(), sql, work, hedge);
        } else if (consistency instanceof Consistency.BoundedStaleness bounded) {
            plan = topology.readPolicy().boundedStaleness(bounded.maxLag(), System.nanoTime());
        } else {
            plan = topology.readPolicy().any(topology.primary().isGood());
        }
        if (plan.reroute() != null) {
            reroutes[plan.reroute().ordinal()].increment();
        }
        NodePool[] candidates = plan.candidates();
        SQLException lastFailure = null;
        NodePool lastNode = null;
        int start = topology.readPolicy().start(candidates.length);
        // the plan's first choice may be hedged to the next candidate: it qualifies for the same consistency
        boolean hedgeFirst = hedge && plan.reroute() == null && candidates.length > 1;
        for (int i = 0; i < candidates.length; i++) {
            NodePool node = candidates[(start + i) % candidates.length];
            try {
                return i == 0 && hedgeFirst ? hedger.run(node, candidates[(start + 1) % candidates.length], null, work)
                        : work.run(node, null, null);
            } catch (SQLException e) {
                if (needsPrimary(e, node, sql)) {
                    return onPrimary(sql, work);
                }
                lastFailure = e;
                lastNode = node;
            }
        }
        if (lastFailure != null && !topology.primary().isGood()) {
            throw failure(lastFailure, lastNode, sql);
        }
        return onPrimary(sql, work);
    }

    private <T> T onPrimary(String sql, LegWork<T> work) {
        return onPrimary(sql, (node, guard) -> work.run(node, guard, null));
    }

    /**
     * Tries replicas that may have replayed the token, checking each on the borrowed connection, for up
     * to DB_READ_YOUR_WRITES_WAIT; then the primary. A token that no replica has replayed yet is first
     * checked against the primary's position: one past it is refused (InvalidConsistencyTokenException)
     * instead of waited for, as a forged token would otherwise hold replica connections for the whole wait.
     */
    private <T> T readYourWrites(ConsistencyToken token, String sql, LegWork<T> work, boolean hedge) {
        ReplayGuard guard = new ReplayGuard(token);
        long deadline = System.nanoTime() + readYourWritesWaitNanos;
        long pause = TimeUnit.MICROSECONDS.toNanos(100); // streaming replicas usually replay within a millisecond
        // tokens this process handed out are known good; a fresher one (another instance's) costs a check only when no replica has it yet
        boolean issued = token.isReachedBy(primaryPosition.get());
        while (true) {
            ReadPolicy.Plan<NodePool> plan = topology.readPolicy().tokens();
            NodePool[] candidates = plan.candidates();
            if (candidates.length == 0) {
                if (!issued) {
                    requireIssued(token);
                }
                break; // no replica could ever qualify: waiting would only delay the read
            }
            int start = topology.readPolicy().start(candidates.length);
            boolean failedOnce = false;
            for (int i = 0; i < candidates.length; i++) {
                NodePool node = candidates[(start + i) % candidates.length];
                try {
                    // the first attempt that runs may be hedged, also after replicas that had not replayed the token were
                    // passed over (no failure: the read has not run yet); a hedge runs with the same guard, so its node must
                    // have replayed the token too
                    return hedge && !failedOnce && candidates.length > 1
                            ? hedger.run(node, candidates[(start + i + 1) % candidates.length], guard, work)
                            : work.run(node, guard, null);
                } catch (ReplayGuard.NotReplayedYet notYet) {
                    // try the next replica
                } catch (SQLException e) {
                    failedOnce = true; // what follows is a retry, never hedged
                    if (needsPrimary(e, node, sql)) {
                        return onPrimary(sql, work);
                    }
                }
            }
            if (!issued) {
                requireIssued(token);
                issued = true;
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
     * The primary's WAL insert position now, at or after the commit of every transaction committed so far; remembered,
     * so that tokens up to it need no check.
     */
    long primaryPosition() {
        long position = onPrimary(POSITION_SQL, (node, guard) -> attempt(node, null, POSITION_SQL, null, c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(POSITION_SQL)) {
                rs.next();
                return Lsn.parse(rs.getString(1));
            }
        }));
        primaryPosition.accumulateAndGet(position, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
        return position;
    }

    /**
     * Refuses a token past the primary's position. While the primary cannot be asked, the token is given the benefit of
     * the doubt: the read goes on as before, bounded by DB_READ_YOUR_WRITES_WAIT.
     */
    private void requireIssued(ConsistencyToken token) {
        long position;
        try {
            position = primaryPosition();
        } catch (DatabaseException primaryUnavailable) {
            return;
        }
        if (!token.isReachedBy(position)) {
            throw new InvalidConsistencyTokenException(token, new ConsistencyToken(position));
        }
    }

    /**
     * After a read failed on a replica: true when it must go to the primary (it wrote: 25006); false when
     * the next node may be tried (a lost connection, a recovery conflict, a pool timeout).
     *
     * @throws DatabaseException for any other failure, which another node would only repeat
     */
    private boolean needsPrimary(SQLException e, NodePool node, String sql) {
        if (Deadlines.passed()) {
            throw Deadlines.exceeded(e, node.name(), sql); // no other node: the time is up
        }
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

    /** The current primary, or an immediate failure while it is known to be down or read-only. */
    NodePool writablePrimary() {
        NodePool node = topology.primary();
        if (!node.isGood()) {
            throw new DatabaseUnavailableException(downMessage(node), null, node.name());
        }
        return node;
    }

    static String downMessage(NodePool node) {
        NodeHealth h = node.health();
        return node.name() + " " + node.address() + " is " + h.state() + " since " + h.since() + " (" + h.reason()
                + "); statements fail fast until the health checker finds it back";
    }

    // ---------------------------------------------------------------- running on a node

    /**
     * Runs one statement on a lease of the node. Its time counts from the borrow, and a borrow that failed
     * is the statement's failure: the caller's statement got no connection. A replica found behind the
     * guard's token is no failed statement: nothing is recorded.
     */
    <T> T attempt(NodePool node, ReplayGuard guard, String sql, Object[] params, SqlWork<T> work) throws SQLException {
        return attempt(node, guard, sql, params, work, null);
    }

    /** {@link #attempt}, as one attempt of a hedged read when {@code leg} is not null: the leg gives back or retires the connection. */
    <T> T attempt(NodePool node, ReplayGuard guard, String sql, Object[] params, SqlWork<T> work, HedgeLeg leg) throws SQLException {
        long start = System.nanoTime();
        Lease lease;
        try {
            lease = node.lease(leg);
        } catch (SQLException noConnection) {
            node.recordStatement(sql, params, System.nanoTime() - start, leg == null || !leg.unwanted());
            throw noConnection;
        }
        if (leg == null) {
            try (lease) {
                lease.requireReplayed(guard);
                return lease.run(start, sql, params, work);
            }
        }
        try {
            leg.lent(lease);
            lease.requireReplayed(guard);
            return lease.run(start, sql, params, work, leg);
        } finally {
            leg.release();
        }
    }

    /** The failure of a statement as the caller sees it: unavailable when the node or its pool could not serve it. */
    static DatabaseException failure(SQLException e, NodePool node, String sql) {
        if (Deadlines.passed()) {
            return Deadlines.exceeded(e, node.name(), sql);
        }
        String statement = sql.length() > 200 ? sql.substring(0, 200) + "..." : sql;
        String state = e.getSQLState();
        String message = "statement failed on " + node + (state == null ? "" : " [SQLSTATE " + state + "]") + ": "
                + e.getMessage() + "; statement: " + statement;
        if (SqlStates.isConnectionFailure(e) || SqlStates.isPoolTimeout(e)) {
            return new DatabaseUnavailableException(message, e, node.name());
        }
        if (node.role() == NodeRole.PRIMARY && SqlStates.isReadOnlyViolation(e)) {
            // the primary became a standby (a switchover or failover): nothing was written, and the health
            // checker is already looking for the new primary
            return new DatabaseUnavailableException(message + "; the primary is read-only now, so it was demoted", e, node.name());
        }
        return new DatabaseException(message, e, state, node.name());
    }
}
