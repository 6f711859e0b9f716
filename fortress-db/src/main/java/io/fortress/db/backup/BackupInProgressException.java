package io.fortress.db.backup;

/** Another backup of the same database (in this or another process) holds the backup lock. */
public class BackupInProgressException extends BackupException {
    private static final long serialVersionUID = 1L;

    public BackupInProgressException(String message) {
        super(message);
    }
}
