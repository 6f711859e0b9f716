package io.fortress.db.migrate;

/**
 * There is no migration to go to, as golang-migrate's {@code os.ErrNotExist}: a target version the
 * source has no file for, a step past the last or first version, or a database at a version the
 * source does not know.
 */
public class MigrationNotFoundException extends MigrationException {
    private static final long serialVersionUID = 1L;

    MigrationNotFoundException(String message) {
        super(message);
    }
}
