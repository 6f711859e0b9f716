package io.fortress.db.api;

/**
 * No node could serve the call: the primary is down (writes fail fast until it is back) or could not
 * be reached at start-up. The message says which node, why, and since when.
 */
public class DatabaseUnavailableException extends DatabaseException {
    private static final long serialVersionUID = 1L;

    public DatabaseUnavailableException(String message, Throwable cause, String node) {
        super(message, cause, cause instanceof java.sql.SQLException sql ? sql.getSQLState() : null, node);
    }
}
