package io.fortress.db.backup;

import io.fortress.db.api.DatabaseException;

/** A backup, restore, verification or cleanup failed; the message says what happened and what to do next. */
public class BackupException extends DatabaseException {
    private static final long serialVersionUID = 1L;

    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
