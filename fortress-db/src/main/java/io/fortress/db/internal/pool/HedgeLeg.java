package io.fortress.db.internal.pool;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;

/**
 * One attempt of a hedged read, on one node's connection, and the cancelling of it once the other
 * attempt answered first. A cancel is a CancelRequest to the node ({@link PGConnection#cancelQuery()},
 * sent on another thread); a node that does not answer it within {@link Hedger#CANCEL_GRACE_NANOS} gets
 * the connection aborted instead. A connection goes back to the pool only when no cancel can still
 * reach it: none was sent, or the request was delivered (PostgreSQL ignores a cancel that finds its
 * backend idle). An attempt that ends while its cancel is still on the way leaves the connection to the
 * cancelling thread, which gives it back once the request was delivered; only a connection whose cancel
 * was not delivered within the grace period is aborted and retired. (Retiring every connection whose
 * statement beat its cancel made the pools refill all the time: on a healthy cluster most losers are
 * about to finish when they are cancelled.)
 *
 * <p>Not {@code Statement.cancel()}: pgjdbc makes the statement's own thread wait, when the statement
 * ends, until the cancel request was sent, and a frozen node's postmaster accepts the request's
 * connection without answering (measured: the caller blocked for the whole cancelSignalTimeout).
 */
final class HedgeLeg {
    private static final Executor DIRECT = Runnable::run;
    private static final int IDLE = 0;
    private static final int CANCELLING = 1;
    private static final int CANCELLED = 2;
    private static final int ABORTED = 3;
    private static final int RELEASED = 4;
    /** The attempt ended while its cancel was on the way: the cancelling thread gives the connection back, or retires it. */
    private static final int HANDED_TO_CANCEL = 5;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(HedgeLeg.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The attempt borrowing a connection on this thread, for HikariCP's check of an idle one ({@link #validate}). */
    private static final ThreadLocal<HedgeLeg> BORROWING = new ThreadLocal<>();

    private volatile int state; // IDLE
    /** The physical connection HikariCP checks for this attempt's borrow now, on the owner's thread. */
    private volatile Connection validating;
    private volatile Lease lease;
    private volatile boolean unwanted;
    private volatile Thread owner;

    /**
     * The attempt got its connection (on the owner's thread).
     *
     * @throws SQLException (57014) when the attempt is no longer wanted: the other one answered first
     */
    void lent(Lease lent) throws SQLException {
        owner = Thread.currentThread();
        lease = lent;
        if (unwanted) {
            throw new SQLException("the other attempt of this hedged read answered first", "57014");
        }
    }

    /** The node of the attempt's connection; null before it got one. */
    NodePool node() {
        Lease l = lease;
        return l == null ? null : l.node();
    }

    /** A borrow of HikariCP's ({@link java.sql.Connection} from its pool), which may check an idle connection meanwhile. */
    @FunctionalInterface
    interface Borrow {
        Connection get() throws SQLException;
    }

    /** A check of a connection's liveness. */
    @FunctionalInterface
    interface Check {
        boolean alive() throws SQLException;
    }

    /** Borrows on this thread for this attempt, so that {@link #cancel()} can end HikariCP's check of an idle connection. */
    Connection borrow(Borrow borrow) throws SQLException {
        BORROWING.set(this);
        try {
            return borrow.get();
        } finally {
            BORROWING.remove();
        }
    }

    /** The attempt borrowing on this thread, if any. */
    static HedgeLeg borrowing() {
        return BORROWING.get();
    }

    /**
     * Runs HikariCP's check of an idle connection for this attempt's borrow. A frozen node never answers it (HikariCP
     * waits up to its validation timeout, on the caller's thread), so {@link #cancel()} aborts the connection under
     * check; once the attempt is unwanted, no check runs (the borrow ends and gives the connection back unused).
     */
    boolean validate(Connection physical, Check check) throws SQLException {
        validating = physical;
        try {
            return unwanted || check.alive();
        } finally {
            validating = null;
        }
    }

    /** True once the attempt gave its connection back or up (a cancel would find nothing to end). */
    boolean ended() {
        int s = state;
        return s == RELEASED || s == HANDED_TO_CANCEL || s == ABORTED;
    }

    /** True once the other attempt answered first: a failure of this one is no failure of the read. */
    boolean unwanted() {
        return unwanted;
    }

    /**
     * Cancels the attempt's statement (on a thread of the hedger's, as the request may block); returns true
     * when a cancel request was sent, false when the attempt had no statement running or ended meanwhile.
     */
    boolean cancel() {
        unwanted = true;
        Lease l = lease;
        if (l == null) {
            abortValidating();
            return false;
        }
        if (!STATE.compareAndSet(this, IDLE, CANCELLING)) {
            return false;
        }
        try {
            l.connection().unwrap(PGConnection.class).cancelQuery();
        } catch (SQLException | RuntimeException e) {
            // the node did not take the request: the abort after the grace period ends the statement
        }
        if (STATE.compareAndSet(this, CANCELLING, CANCELLED)) {
            LockSupport.unpark(owner);
        } else if (STATE.compareAndSet(this, HANDED_TO_CANCEL, RELEASED)) {
            // the request was delivered to a backend whose statement had ended: it is ignored, and the connection is clean
            closeQuietly(l);
        }
        return true;
    }

    /**
     * Aborts the connection when the statement is still running a grace period after its cancel was sent
     * (a node that does not answer): the owner's statement fails at once. Returns true when it did.
     */
    boolean abortIfStillRunning() {
        int s = state;
        if ((s == CANCELLING || s == CANCELLED) && STATE.compareAndSet(this, s, ABORTED)) {
            abort(lease);
            return true;
        }
        if (s == HANDED_TO_CANCEL && STATE.compareAndSet(this, s, ABORTED)) {
            // the owner left; the cancel never got through, and could still: the connection is never lent again
            abort(lease);
            retireQuietly(lease);
            return true;
        }
        return false;
    }

    /**
     * Aborts the attempt's connection without a cancel request; it is retired on release. Returns true when it
     * did: the attempt had a connection and no cancel was on the way.
     */
    boolean abortUnsent() {
        unwanted = true;
        abortValidating();
        Lease l = lease;
        if (l != null && STATE.compareAndSet(this, IDLE, ABORTED)) {
            abort(l);
            return true;
        }
        return false;
    }

    /**
     * Ends the attempt (on the owner's thread, once its statement returned or failed): the connection goes
     * back to the pool when no cancel can reach it any more, else it is retired.
     */
    void release() throws SQLException {
        Lease l = lease;
        if (l == null) {
            return;
        }
        while (true) {
            int s = state;
            if ((s == IDLE || s == CANCELLED) && STATE.compareAndSet(this, s, RELEASED)) {
                l.close();
                return;
            }
            if (s == CANCELLING && STATE.compareAndSet(this, CANCELLING, HANDED_TO_CANCEL)) {
                // the statement ended while its cancel is still on the way, which could hit the connection's next user:
                // the cancelling thread gives it back once the request was delivered (or it is retired after the grace)
                return;
            }
            if (s == ABORTED) {
                l.retire();
                return;
            }
        }
    }

    /** Ends HikariCP's check of an idle connection for this borrow, when one runs: the check fails and the connection is closed. */
    private void abortValidating() {
        Connection v = validating;
        if (v != null) {
            try {
                v.abort(DIRECT);
            } catch (SQLException | RuntimeException e) {
                // closed already
            }
        }
    }

    private static void closeQuietly(Lease l) {
        try {
            l.close();
        } catch (SQLException | RuntimeException e) {
            // HikariCP logs and evicts a connection it cannot take back
        }
    }

    private static void retireQuietly(Lease l) {
        try {
            l.retire();
        } catch (SQLException | RuntimeException e) {
            // closed already
        }
    }

    private static void abort(Lease l) {
        try {
            l.connection().abort(DIRECT);
        } catch (SQLException | RuntimeException e) {
            // closed already
        }
    }
}
