package io.fortress.db.internal.pool;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/** What a failure means for routing, decided by SQLSTATE. */
final class SqlStates {
    private SqlStates() {
    }

    /**
     * The connection or the server is gone: class 08 (connection exception), 57P01 admin shutdown,
     * 57P02 crash shutdown, 57P03 cannot connect now. The node is suspected down.
     */
    static boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03"));
    }

    /** A hot standby cancelled the statement because of a conflict with WAL replay. */
    static boolean isRecoveryConflict(SQLException e) {
        return "40001".equals(e.getSQLState());
    }

    /** The statement wrote (FOR UPDATE, nextval, INSERT, ...) and can only run on the primary. */
    static boolean isReadOnlyViolation(SQLException e) {
        return "25006".equals(e.getSQLState());
    }

    /** The pool had no connection to give within the pool timeout (busy, or the node unreachable). */
    static boolean isPoolTimeout(SQLException e) {
        return e instanceof SQLTransientConnectionException;
    }

    /** An autocommit read that failed this way may be sent to another node. */
    static boolean isRetryableRead(SQLException e) {
        return isConnectionFailure(e) || isRecoveryConflict(e) || isPoolTimeout(e);
    }
}
