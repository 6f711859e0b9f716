package io.fortress.db.migrate;

/**
 * The migration lock could not be taken within {@code lockTimeout} (another migrator holds it), or
 * was lost while migrating; nothing further ran.
 */
public class MigrationLockException extends MigrationException {
    private static final long serialVersionUID = 1L;

    MigrationLockException(String message) {
        super(message);
    }
}
