package io.fortress.db.internal.pool;

import io.fortress.db.api.Deadline;
import io.fortress.db.api.DeadlineExceededException;
import io.fortress.db.api.Durations;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executor;

/**
 * The thread's {@link Deadline} applied to what fortress runs: a lent connection's socket gives up at the deadline plus
 * {@link Deadline#MARGIN} (a frozen node cannot hold the caller longer; HikariCP restores the pool's setting when the
 * connection goes back), each statement gets the time left as its {@code statement_timeout} (the server ends it then),
 * and a failure once the deadline passed becomes a {@link DeadlineExceededException}. Without a deadline each step is one
 * ThreadLocal read.
 */
final class Deadlines {
    static final Executor DIRECT = Runnable::run;

    private Deadlines() {
    }

    /** Throws when the thread's deadline passed, before {@code what} is tried: nothing was sent. */
    static void requireTimeLeft(String what, String node) {
        Deadline d = Deadline.current().orElse(null);
        if (d != null && d.passed()) {
            throw new DeadlineExceededException("the deadline of " + Durations.format(d.timeout()) + " passed before " + what, null, node);
        }
    }

    /** True when the thread has a deadline and it passed. */
    static boolean passed() {
        return Deadline.current().filter(Deadline::passed).isPresent();
    }

    /**
     * When a borrow that started at {@code start} must end: the caller's deadline when it comes before {@code poolDeadline}
     * (all in System.nanoTime), else {@code poolDeadline}.
     *
     * @throws DeadlineExceededException when the caller's deadline passed already
     */
    static long waitUntil(long start, long poolDeadline, String node) {
        Deadline d = Deadline.current().orElse(null);
        if (d == null || start + d.remaining().toNanos() - poolDeadline >= 0) {
            return poolDeadline;
        }
        requireTimeLeft("a connection of " + node + " was asked for", node);
        return start + d.remaining().toNanos();
    }

    /** No connection of the node came before the caller's deadline: the caller's time ran out, the node is not to blame. */
    static DeadlineExceededException noConnection(String node, long start, SQLException timeout) {
        return new DeadlineExceededException("the deadline passed while waiting " + (System.nanoTime() - start) / 1_000_000
                + " ms for a connection of " + node, timeout, node);
    }

    /** The connection, its socket limited to the deadline plus the margin (closed when that fails). */
    static Connection limited(Connection c) throws SQLException {
        try {
            limit(c);
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    /** Makes a lent connection's socket give up at the deadline plus the margin. */
    private static void limit(Connection c) throws SQLException {
        Deadline d = Deadline.current().orElse(null);
        if (d != null) {
            c.setNetworkTimeout(DIRECT, socketMillis(d));
        }
    }

    /** The longest wait on a socket under the deadline: the time left plus the margin, at least 1 ms. */
    private static int socketMillis(Deadline d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.remaining().plus(Deadline.MARGIN).toMillis()));
    }

    /**
     * A wait on the socket ({@code millis}, 0 for none) shortened to the deadline plus the margin when the thread has one;
     * {@code millis} itself when it ends first or there is no deadline.
     */
    static int cap(int millis) {
        Deadline d = Deadline.current().orElse(null);
        if (d == null) {
            return millis;
        }
        int left = socketMillis(d);
        return millis > 0 && millis <= left ? millis : left;
    }

    /**
     * The server-side bound of the next statement under the thread's deadline: {@code statement_timeout} set to the time left,
     * local to the statement's transaction, as a set_config statement sent with it in one round trip, so that the server
     * itself ends the statement when the time is up; empty without a deadline. Not pgjdbc's query timeout: its cancel
     * request makes the statement's thread wait, when the statement ends, until the request was sent, which a frozen
     * node's postmaster never acknowledges (up to cancelSignalTimeout).
     */
    static String timeoutPrefix() {
        Deadline d = Deadline.current().orElse(null);
        return d == null ? "" : "SELECT set_config('statement_timeout', '" + Math.max(1, d.remaining().toMillis()) + "', true); ";
    }

    /** The failure of a transaction whose deadline passed before its COMMIT, which was rolled back instead. */
    static DeadlineExceededException beforeCommit(String node) {
        Deadline d = Deadline.current().orElseThrow();
        return new DeadlineExceededException("the deadline of " + Durations.format(d.timeout()) + " passed before the COMMIT on " + node
                + ": the transaction was rolled back", null, node);
    }

    /** The failure of a call whose deadline passed, keeping what the driver said as the cause. */
    static DeadlineExceededException exceeded(SQLException cause, String node, String sql) {
        Deadline d = Deadline.current().orElseThrow();
        String statement = sql.length() > 200 ? sql.substring(0, 200) + "..." : sql;
        String outcome = "COMMIT".equals(sql) ? "; the COMMIT got no answer in time, so the transaction may or may not have committed"
                : "";
        return new DeadlineExceededException("the deadline of " + Durations.format(d.timeout()) + " passed on " + node + outcome
                + " (" + (cause == null ? "" : cause.getMessage()) + "); statement: " + statement, cause, node);
    }
}
