package io.fortress.db.api;

import java.sql.SQLException;

/**
 * A database operation failed. Carries the SQLSTATE (when the server or driver gave one) and the
 * node the failing statement ran on. Messages hold no passwords and no statement parameters.
 */
public class DatabaseException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String sqlState;
    private final String node;

    public DatabaseException(String message) {
        this(message, null, null, null);
    }

    public DatabaseException(String message, Throwable cause) {
        this(message, cause, cause instanceof SQLException sql ? sql.getSQLState() : null, null);
    }

    public DatabaseException(String message, Throwable cause, String sqlState, String node) {
        super(message, cause);
        this.sqlState = sqlState;
        this.node = node;
    }

    /** The five-character SQLSTATE, e.g. {@code 23505} for a unique violation; null when unknown. */
    public String sqlState() {
        return sqlState;
    }

    /** The node the statement ran on ({@code primary}, {@code replica-1}, ...); null when none was reached. */
    public String node() {
        return node;
    }
}
