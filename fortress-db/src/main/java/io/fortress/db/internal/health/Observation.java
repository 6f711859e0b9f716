package io.fortress.db.internal.health;

import io.fortress.db.api.NodeState;

import java.sql.SQLException;
import java.sql.SQLTimeoutException;

/**
 * One check's result, before hysteresis.
 *
 * @param failure   why the check failed; null when it did not
 * @param walLsn    the primary's WAL position, or the replica's replayed position; null when unknown
 * @param freshAsOf replicas: the last time the primary was seen at a position the replica replayed; Long.MIN_VALUE when unknown
 */
record Observation(NodeState state, String reason, CheckedNode.Failure failure, Double lagSeconds, Long lagBytes,
                   Long receiveLagBytes, Long walLsn, Long receivedLsn, Long timeline, long freshAsOf) {

    static Observation of(NodeState state, String reason) {
        return new Observation(state, reason, null, null, null, null, null, null, null, Long.MIN_VALUE);
    }

    /** A check that failed with {@code e}: the node is in {@code state} (DOWN, UNREACHABLE), for the failure's reason. */
    static Observation failed(NodeState state, SQLException e) {
        return failed(state, "", e);
    }

    /** Like {@link #failed(NodeState, SQLException)}, with words before the failure's own message. */
    static Observation failed(NodeState state, String prefix, SQLException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        if (message.endsWith(".")) {
            message = message.substring(0, message.length() - 1);
        }
        CheckedNode.Failure failure;
        if (e instanceof SQLTimeoutException || "57014".equals(e.getSQLState())
                || (e.getCause() instanceof java.net.SocketTimeoutException)) {
            failure = CheckedNode.Failure.TIMEOUT;
        } else if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
            failure = CheckedNode.Failure.CONNECT;
        } else {
            failure = CheckedNode.Failure.QUERY;
        }
        return new Observation(state, prefix + message, failure, null, null, null, null, null, null, Long.MIN_VALUE);
    }
}
