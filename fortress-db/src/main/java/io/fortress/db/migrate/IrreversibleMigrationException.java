package io.fortress.db.migrate;

/**
 * Rolling back would pass a version that has no down file. golang-migrate moves the version without
 * running anything there; fortress refuses unless {@code allowMissingDown} is set. A down file holding
 * only comments is an explicit "nothing to undo" and is always allowed.
 */
public class IrreversibleMigrationException extends MigrationException {
    private static final long serialVersionUID = 1L;
    private final long version;

    IrreversibleMigrationException(long version, String message) {
        super(message);
        this.version = version;
    }

    /** The version without a down file. */
    public long version() {
        return version;
    }
}
