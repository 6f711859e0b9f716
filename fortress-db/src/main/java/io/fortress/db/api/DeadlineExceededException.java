package io.fortress.db.api;

/**
 * A call ran out of the time its {@link Deadline} gave it: no connection came in time, the statement was cancelled on
 * the server, or the node did not answer. A transaction that got this before its commit was rolled back; one whose
 * COMMIT ran out of time may or may not have committed, and the message says so. SQLSTATE {@code 57014}
 * (query_canceled).
 */
public class DeadlineExceededException extends DatabaseException {
    private static final long serialVersionUID = 1L;

    public DeadlineExceededException(String message, Throwable cause, String node) {
        super(message, cause, "57014", node);
    }
}
