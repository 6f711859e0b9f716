package io.fortress.db.migrate;

import io.fortress.db.api.DatabaseException;

/** A migration operation failed or was refused; subclasses say why. Messages say what to do next. */
public class MigrationException extends DatabaseException {
    private static final long serialVersionUID = 1L;

    public MigrationException(String message) {
        super(message);
    }

    public MigrationException(String message, Throwable cause) {
        super(message, cause);
    }

    MigrationException(String message, Throwable cause, String sqlState) {
        super(message, cause, sqlState, null);
    }
}
