package io.fortress.db.internal.pool;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A pooled physical connection that reports, when it closes, how old it was and how long it had been
 * back in the pool, so that retirements can be attributed to idleness or lifetime. HikariCP calls
 * {@link #clearWarnings()} on every return to the pool, which marks the start of idleness (pinned by
 * HikariPoolAdapterTest). Behind a pooler it also refuses the calls that would change a session lent to
 * other clients. Every other call goes to the physical connection unchanged ({@link ForwardingConnection}).
 */
final class TrackedConnection extends ForwardingConnection {
    /** Told once, when the connection closes, its age and idle time. */
    interface CloseListener {
        void closed(TrackedConnection connection, long ageNanos, long idleNanos);
    }

    private final CloseListener listener;
    private final boolean behindPooler;
    private final long created = System.nanoTime();
    private volatile long returned = created;
    private final AtomicBoolean reported = new AtomicBoolean();

    /** {@code behindPooler}: the connection is a PgBouncer's (DB_POOLER), whose sessions must not be changed. */
    TrackedConnection(Connection physical, CloseListener listener, boolean behindPooler) {
        super(physical);
        this.listener = listener;
        this.behindPooler = behindPooler;
    }

    /** When the connection was last returned to the pool (System.nanoTime), or created. */
    long returnedAtNanos() {
        return returned;
    }

    @Override
    public void clearWarnings() throws SQLException {
        returned = System.nanoTime();
        delegate.clearWarnings();
    }

    @Override
    public void close() throws SQLException {
        if (reported.compareAndSet(false, true)) { // an aborted connection is closed already, and reported here too
            long now = System.nanoTime();
            listener.closed(this, now - created, now - returned);
        }
        delegate.close();
    }

    /**
     * HikariCP validates an idle connection on the borrowing thread, for up to its validation timeout. Under that thread's
     * {@link io.fortress.db.api.Deadline}, when the deadline plus its margin ends first, the check is an empty statement
     * whose socket waits no longer (pgjdbc's isValid would set the socket's timeout to its own argument), so a frozen node
     * cannot hold the borrow past the deadline; the socket's timeout is put back after the check.
     */
    @Override
    public boolean isValid(int timeoutSeconds) throws SQLException {
        HedgeLeg leg = HedgeLeg.borrowing();
        return leg == null ? check(timeoutSeconds) : leg.validate(delegate, () -> check(timeoutSeconds));
    }

    /** The check of {@link #isValid}; also ended by the hedged read whose borrow runs it ({@link HedgeLeg#validate}). */
    private boolean check(int timeoutSeconds) throws SQLException {
        int cap = Deadlines.cap(timeoutSeconds * 1000);
        if (cap == timeoutSeconds * 1000) {
            return delegate.isValid(timeoutSeconds);
        }
        int saved = delegate.getNetworkTimeout();
        try {
            delegate.setNetworkTimeout(Deadlines.DIRECT, cap);
            try (java.sql.Statement s = delegate.createStatement()) {
                s.execute("");
            }
            return true;
        } catch (SQLException e) {
            return false;
        } finally {
            if (!delegate.isClosed()) {
                delegate.setNetworkTimeout(Deadlines.DIRECT, saved);
            }
        }
    }

    @Override
    public void setSchema(String schema) throws SQLException {
        refuseSessionChange("setSchema", "qualify names, or run SET LOCAL search_path as a transaction's first statement");
        delegate.setSchema(schema);
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        refuseSessionChange("setTransactionIsolation", "run SET TRANSACTION ISOLATION LEVEL ... as the transaction's first statement");
        delegate.setTransactionIsolation(level);
    }

    /** pgjdbc changes the session for these; behind a pooler that session is lent to other clients next. */
    private void refuseSessionChange(String call, String instead) throws SQLException {
        if (behindPooler) {
            // no SQLSTATE: HikariCP takes 0A000 for a broken connection and closes it
            throw new SQLFeatureNotSupportedException(call + " changes the session, which PgBouncer in transaction pooling "
                    + "(DB_POOLER) lends to other clients after each transaction; " + instead);
        }
    }
}
